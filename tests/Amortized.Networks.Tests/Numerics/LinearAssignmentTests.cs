using Amortized.Networks.Numerics;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Networks.Tests.Numerics;

public class LinearAssignmentTests
{
    [Fact]
    public void Solve_MatchesBruteForce_OnRandomMatrices()
    {
        var rng = new Rng(2026);
        for (int n = 1; n <= 7; n++)
        {
            for (int trial = 0; trial < 30; trial++)
            {
                var cost = new double[n * n];
                // Integer costs half of the time, so ties (several optimal assignments) are exercised too.
                bool ties = trial % 2 == 0;
                for (int i = 0; i < cost.Length; i++)
                    cost[i] = ties ? rng.Integer(0, 4) : rng.Normal() * 10;
                var assignment = LinearAssignment.Solve(cost, n);
                Assert.Equal(Enumerable.Range(0, n), assignment.Order());
                double best = BruteForce(cost, n);
                Assert.Equal(best, LinearAssignment.Cost(cost, n, assignment), 9);
            }
        }
    }

    [Fact]
    public void Solve_KnownCases()
    {
        // The textbook 3 x 3 example: rows -> columns (1, 0, 2) with total 5.
        double[] cost = [4, 1, 3, 2, 0, 5, 3, 2, 2];
        Assert.Equal([1, 0, 2], LinearAssignment.Solve(cost, 3));
        // A permutation matrix of zeros in a sea of ones is recovered exactly.
        int[] perm = [3, 0, 4, 1, 2];
        var c = Enumerable.Repeat(1.0, 25).ToArray();
        for (int i = 0; i < 5; i++) c[i * 5 + perm[i]] = 0;
        Assert.Equal(perm, LinearAssignment.Solve(c, 5));
        // Negative costs (negated profits: the assignment maximising profit 7 + 9).
        double[] profit = [-7, -5, -1, -9];
        Assert.Equal([0, 1], LinearAssignment.Solve(profit, 2));
        Assert.Empty(LinearAssignment.Solve([], 0));
    }

    [Fact]
    public void Solve_IsDeterministic_AndAtLeastAsGoodAsGreedy_OnLargeMatrices()
    {
        var rng = new Rng(9);
        const int n = 200;
        var cost = new double[n * n];
        for (int i = 0; i < cost.Length; i++) cost[i] = rng.NextDouble();
        var a = LinearAssignment.Solve(cost, n);
        Assert.Equal(a, LinearAssignment.Solve(cost, n));
        Assert.Equal(Enumerable.Range(0, n), a.Order());
        // The identity is one feasible assignment, and the optimum of n uniform costs is far below its n/2.
        double optimum = LinearAssignment.Cost(cost, n, a);
        Assert.True(optimum < LinearAssignment.Cost(cost, n, Enumerable.Range(0, n).ToArray()));
        Assert.InRange(optimum, 0, 2.5);   // about pi^2/6 for large n (Aldous 2001)
    }

    [Fact]
    public void Solve_RejectsBadInput()
    {
        var e = Assert.Throws<ArgumentException>(() => LinearAssignment.Solve(new double[5], 2));
        Assert.Contains("2 x 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => LinearAssignment.Solve([0, double.NaN, 1, 2], 2));
        Assert.Contains("cost[0, 1]", e.Message);
    }

    private static double BruteForce(double[] cost, int n)
    {
        var perm = Enumerable.Range(0, n).ToArray();
        double best = double.PositiveInfinity;
        void Recurse(int k)
        {
            if (k == n)
            {
                best = Math.Min(best, LinearAssignment.Cost(cost, n, perm));
                return;
            }
            for (int i = k; i < n; i++)
            {
                (perm[k], perm[i]) = (perm[i], perm[k]);
                Recurse(k + 1);
                (perm[k], perm[i]) = (perm[i], perm[k]);
            }
        }
        Recurse(0);
        return best;
    }
}
