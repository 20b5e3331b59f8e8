namespace Amortized.Networks.Numerics;

/// <summary>
/// Exact solver of the square linear assignment problem: given an n x n cost matrix C (row-major), the permutation
/// sigma minimising sum_i C[i, sigma(i)]. Shortest augmenting paths with dual potentials (the Hungarian method in
/// the Jonker-Volgenant form; Kuhn 1955, Jonker and Volgenant 1987), O(n^3) time and O(n) extra memory, in double.
/// The result is a deterministic function of the costs (ties are broken by the lowest column index), so seeded
/// callers stay reproducible. Used by flow matching to pair noise with targets by minibatch optimal transport.
/// </summary>
public static class LinearAssignment
{
    /// <summary>
    /// The optimal assignment of the square cost matrix <paramref name="cost"/> (n x n, row-major): element i of
    /// the result is the column assigned to row i.
    /// </summary>
    /// <exception cref="ArgumentException">The span does not hold n * n values, or a cost is not finite.</exception>
    public static int[] Solve(ReadOnlySpan<double> cost, int n)
    {
        if (n < 0 || (long)n * n != cost.Length)
            throw new ArgumentException(
                $"LinearAssignment: expected a {n} x {n} cost matrix ({(long)n * n} values); got {cost.Length}.",
                nameof(cost));
        for (int i = 0; i < cost.Length; i++)
            if (!double.IsFinite(cost[i]))
                throw new ArgumentException(
                    $"LinearAssignment: cost[{i / n}, {i % n}] is {cost[i]}; costs must be finite.", nameof(cost));
        // 1-based arrays with a virtual column 0 that holds the row being inserted (the classic formulation).
        // u, v: dual potentials of rows and columns; rowOf[j]: the row matched to column j (0 = none);
        // way[j]: the previous column on the shortest alternating path to column j.
        var u = new double[n + 1];
        var v = new double[n + 1];
        var rowOf = new int[n + 1];
        var way = new int[n + 1];
        var minSlack = new double[n + 1];
        var used = new bool[n + 1];
        for (int i = 1; i <= n; i++)
        {
            // Insert row i: Dijkstra over columns on reduced costs until a free column is reached, then augment.
            rowOf[0] = i;
            int j0 = 0;
            Array.Fill(minSlack, double.PositiveInfinity);
            Array.Clear(used);
            do
            {
                used[j0] = true;
                int i0 = rowOf[j0], j1 = 0;
                double delta = double.PositiveInfinity;
                int rowBase = (i0 - 1) * n;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j]) continue;
                    double reduced = cost[rowBase + j - 1] - u[i0] - v[j];
                    if (reduced < minSlack[j])
                    {
                        minSlack[j] = reduced;
                        way[j] = j0;
                    }
                    if (minSlack[j] < delta)
                    {
                        delta = minSlack[j];
                        j1 = j;
                    }
                }
                for (int j = 0; j <= n; j++)
                {
                    if (used[j])
                    {
                        u[rowOf[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                    {
                        minSlack[j] -= delta;
                    }
                }
                j0 = j1;
            }
            while (rowOf[j0] != 0);
            // Flip the matching along the path back to the virtual column.
            do
            {
                int j1 = way[j0];
                rowOf[j0] = rowOf[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var assignment = new int[n];
        for (int j = 1; j <= n; j++) assignment[rowOf[j] - 1] = j - 1;
        return assignment;
    }

    /// <summary>The total cost sum_i C[i, assignment[i]] of an assignment of the n x n matrix.</summary>
    public static double Cost(ReadOnlySpan<double> cost, int n, ReadOnlySpan<int> assignment)
    {
        if ((long)n * n != cost.Length || assignment.Length != n)
            throw new ArgumentException(
                $"LinearAssignment.Cost: expected {n * n} costs and {n} assignments; got {cost.Length} and " +
                $"{assignment.Length}.");
        double total = 0;
        for (int i = 0; i < n; i++) total += cost[i * n + assignment[i]];
        return total;
    }
}
