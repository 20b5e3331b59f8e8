using Amortized.Inference.Distributions;
using Amortized.Tensors;
using Amortized.Testing;
using Xunit;
using static Amortized.Inference.Tests.Distributions.ReferenceFunctions;

namespace Amortized.Inference.Tests.Distributions;

/// <summary>MultivariateNormal, Dirichlet and LKJ: draws against known marginals and moments, densities against
/// closed forms and quadrature.</summary>
public sealed class MultivariateDistributionTests
{
    private static readonly double[] s_mean = [1, -2, 0.5];
    private static readonly double[,] s_covariance = { { 2, 0.6, -0.4 }, { 0.6, 1, 0.3 }, { -0.4, 0.3, 0.5 } };

    private static double[][] Draw(IMultivariateDistribution distribution, Rng rng, int n)
    {
        var draws = new double[n][];
        for (int i = 0; i < n; i++)
        {
            draws[i] = new double[distribution.Dimension];
            distribution.Sample(rng, draws[i]);
        }
        return draws;
    }

    private static double[] Column(double[][] draws, int j) => Array.ConvertAll(draws, row => row[j]);

    [Fact]
    public void MultivariateNormal_SampleMeanAndCovariance_MatchGiven()
    {
        var mvn = new MultivariateNormal(s_mean, s_covariance);
        int n = GoodnessOfFit.Draws;
        double[][] draws = Draw(mvn, new Rng(TestSeeds.Default, 200), n);
        for (int i = 0; i < 3; i++)
        {
            double mi = Column(draws, i).Average();
            Assert.True(Math.Abs(mi - s_mean[i]) < 5 * Math.Sqrt(s_covariance[i, i] / n), $"mean[{i}] = {mi}");
            for (int j = 0; j <= i; j++)
            {
                double mj = Column(draws, j).Average(), c = 0;
                foreach (double[] row in draws) c += (row[i] - mi) * (row[j] - mj);
                c /= n - 1;
                // Var of the sample covariance of a Gaussian pair: (S_ii S_jj + S_ij^2) / n.
                double sij = s_covariance[i, j];
                double se = Math.Sqrt((s_covariance[i, i] * s_covariance[j, j] + sij * sij) / n);
                Assert.True(Math.Abs(c - s_covariance[i, j]) < 5 * se,
                    $"covariance[{i}, {j}] = {c}; expected {s_covariance[i, j]} within 5 SE = {5 * se}");
            }
        }
        // Each marginal is Normal(mean_i, sqrt(S_ii)).
        for (int i = 0; i < 3; i++)
        {
            double mu = s_mean[i], sd = Math.Sqrt(s_covariance[i, i]);
            double d = GoodnessOfFit.KolmogorovSmirnov(Column(draws, i), x => NormalCdf((x - mu) / sd));
            Assert.True(d < GoodnessOfFit.KsCritical(n), $"marginal {i}: KS {d}");
        }
    }

    [Fact]
    public void MultivariateNormal_LogDensity_MatchesClosedForm2D_AndIntegratesToOne()
    {
        // 2-D closed form: det = s11 s22 - s12^2, Q = (s22 a^2 - 2 s12 a b + s11 b^2) / det.
        const double s11 = 1.5, s12 = -0.7, s22 = 0.8, m1 = 0.3, m2 = -1;
        var mvn = new MultivariateNormal([m1, m2], new[,] { { s11, s12 }, { s12, s22 } });
        double det = s11 * s22 - s12 * s12;
        foreach ((double x, double y) in new[] { (0.0, 0.0), (1.2, -2.5), (-3.0, 1.0) })
        {
            double a = x - m1, b = y - m2;
            double quadratic = (s22 * a * a - 2 * s12 * a * b + s11 * b * b) / det;
            double expected = -Math.Log(2 * Math.PI) - 0.5 * Math.Log(det) - 0.5 * quadratic;
            Assert.Equal(expected, mvn.LogDensity([x, y]), 12);
        }
        // Midpoint rule on a 600 x 600 grid over mean +- 10 sd: the cut tail mass is ~1e-22, the rule's error
        // O(h^2) ~ 1e-7 on this smooth integrand.
        const int n = 600;
        double w1 = 10 * Math.Sqrt(s11), w2 = 10 * Math.Sqrt(s22), h1 = 2 * w1 / n, h2 = 2 * w2 / n, sum = 0;
        Span<double> point = stackalloc double[2];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                point[0] = m1 - w1 + (i + 0.5) * h1;
                point[1] = m2 - w2 + (j + 0.5) * h2;
                sum += Math.Exp(mvn.LogDensity(point));
            }
        Assert.True(Math.Abs(sum * h1 * h2 - 1) < 1e-6, $"integral {sum * h1 * h2}");
    }

    [Fact]
    public void Dirichlet_Marginals_AreBeta()
    {
        double[] alpha = [2, 3.5, 0.8];
        double total = alpha.Sum();
        var dirichlet = new Dirichlet(alpha);
        int n = GoodnessOfFit.Draws;
        double[][] draws = Draw(dirichlet, new Rng(TestSeeds.Default, 201), n);
        foreach (double[] row in draws) Assert.True(Math.Abs(row.Sum() - 1) < 1e-12);
        for (int i = 0; i < alpha.Length; i++)
        {
            double a = alpha[i], b = total - a;
            double[] marginal = Column(draws, i);
            GoodnessOfFit.AssertMoments(marginal, a / total, a * b / (total * total * (total + 1)), $"x[{i}]");
            double d = GoodnessOfFit.KolmogorovSmirnov(marginal, x => BetaI(a, b, x));
            Assert.True(d < GoodnessOfFit.KsCritical(n), $"marginal {i} vs Beta({a}, {b}): KS {d}");
        }
    }

    [Fact]
    public void Dirichlet_LogDensity_MatchesClosedForm_AndIntegratesToOne()
    {
        // alpha = (2, 3, 4): Gamma(9) / (Gamma(2) Gamma(3) Gamma(4)) = 40320 / 12 = 3360.
        var dirichlet = new Dirichlet(2, 3, 4);
        Assert.Equal(Math.Log(3360 * 0.2 * 0.3 * 0.3 * 0.5 * 0.5 * 0.5), dirichlet.LogDensity([0.2, 0.3, 0.5]), 11);
        Assert.Equal(double.NegativeInfinity, dirichlet.LogDensity([0.2, 0.3, 0.6]));
        Assert.Equal(double.NegativeInfinity, dirichlet.LogDensity([-0.1, 0.6, 0.5]));
        // Midpoint rule over (x0, x1) on the unit square, zero outside the simplex; the integrand vanishes on the
        // simplex's edges (all alpha > 1), so the cut cells cost O(h^2).
        const int n = 1000;
        double h = 1.0 / n, sum = 0;
        Span<double> x = stackalloc double[3];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                x[0] = (i + 0.5) * h;
                x[1] = (j + 0.5) * h;
                x[2] = 1 - x[0] - x[1];
                if (x[2] > 0) sum += Math.Exp(dirichlet.LogDensity(x));
            }
        Assert.True(Math.Abs(sum * h * h - 1) < 1e-4, $"integral {sum * h * h}");
    }

    /// <summary>Whether a d x d row-major matrix is a correlation matrix: unit diagonal, symmetric, and positive
    /// definite (every leading principal minor &gt; 0, by Gaussian elimination without pivoting).</summary>
    private static bool IsCorrelationMatrix(double[] r, int d)
    {
        for (int i = 0; i < d; i++)
        {
            if (Math.Abs(r[i * d + i] - 1) > 1e-12) return false;
            for (int j = 0; j < i; j++) if (r[i * d + j] != r[j * d + i]) return false;
        }
        var a = (double[])r.Clone();
        for (int k = 0; k < d; k++)
        {
            if (!(a[k * d + k] > 0)) return false;
            for (int i = k + 1; i < d; i++)
            {
                double f = a[i * d + k] / a[k * d + k];
                for (int j = k; j < d; j++) a[i * d + j] -= f * a[k * d + j];
            }
        }
        return true;
    }

    [Theory]
    [InlineData(3, 1.0)]
    [InlineData(4, 2.0)]
    [InlineData(5, 0.5)]
    public void Lkj_OffDiagonalMarginals_FollowOneMinusRSquaredPower(int d, double eta)
    {
        // Each r_ij has density proportional to (1 - r^2)^(eta - 1 + (d - 2)/2): (r + 1)/2 ~ Beta(b, b),
        // b = eta + (d - 2)/2. This covers pairs the C-vine builds from several partial correlations.
        var lkj = new LkjCorrelation(d, eta);
        int n = d == 3 ? GoodnessOfFit.Draws : GoodnessOfFit.Draws / 2;
        double[][] draws = Draw(lkj, new Rng(TestSeeds.Default, (ulong)(300 + d)), n);
        foreach (double[] r in draws) Assert.True(IsCorrelationMatrix(r, d), "a draw is not a correlation matrix");
        double b = eta + 0.5 * (d - 2);
        for (int i = 0; i < d; i++)
            for (int j = i + 1; j < d; j++)
            {
                double[] marginal = Array.ConvertAll(draws, r => r[i * d + j]);
                double ks = GoodnessOfFit.KolmogorovSmirnov(marginal, x => BetaI(b, b, 0.5 * (x + 1)));
                Assert.True(ks < GoodnessOfFit.KsCritical(n), $"d = {d}, eta = {eta}, r[{i},{j}]: KS {ks}");
            }
    }

    [Fact]
    public void Lkj_SampleCholesky_IsFactorOfSample()
    {
        var lkj = new LkjCorrelation(4, 1.5);
        var l = new double[16];
        var r = new double[16];
        lkj.SampleCholesky(new Rng(5), l);
        lkj.Sample(new Rng(5), r);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double s = 0;
                for (int k = 0; k < 4; k++) s += l[i * 4 + k] * l[j * 4 + k];
                Assert.Equal(r[i * 4 + j], s, 12);
                if (j > i) Assert.Equal(0, l[i * 4 + j]);
            }
    }

    [Fact]
    public void Lkj_LogDensity_MatchesClosedForm2D()
    {
        // d = 2, eta = 2: p(r) = (1 - r^2) / int (1 - r^2) dr = 0.75 (1 - r^2).
        var lkj = new LkjCorrelation(2, 2);
        foreach (double r in new[] { -0.9, 0, 0.35 })
            Assert.Equal(Math.Log(0.75 * (1 - r * r)), lkj.LogDensity([1, r, r, 1]), 12);
        Assert.Equal(double.NegativeInfinity, lkj.LogDensity([1, 1.2, 1.2, 1]));
        Assert.Equal(double.NegativeInfinity, lkj.LogDensity([1.1, 0.2, 0.2, 1]));
        Assert.Equal(double.NegativeInfinity, lkj.LogDensity([1, 0.2, 0.3, 1]));
    }

    [Fact]
    public void Lkj_Normalizer3D_Eta1_IsInverseVolumeOfCorrelationMatrices()
    {
        // With eta = 1 the density is the constant c_3(1) = 1 / volume of the 3 x 3 correlation matrices, and that
        // volume (of the "elliptope") is pi^2 / 2 (Rousseeuw and Molenberghs 1994).
        var lkj = new LkjCorrelation(3, 1);
        Assert.Equal(-Math.Log(Math.PI * Math.PI / 2), lkj.LogDensity([1, 0.1, -0.2, 0.1, 1, 0.3, -0.2, 0.3, 1]), 12);
    }

    [Fact]
    public void Lkj_LogDensity3D_Eta2_IntegratesToOne()
    {
        // Midpoint rule over the three off-diagonals on (-1, 1)^3, zero outside the positive-definite set. With
        // eta = 2 the density is proportional to det R, which vanishes on that set's boundary, so cells cut by the
        // boundary cost O(h^2) in all: measured 1.4e-5 at 100 cells per axis, 5.6e-6 at 140.
        const int n = 100;
        double h = 2.0 / n, sum = 0;
        var lkj = new LkjCorrelation(3, 2);
        var r = new double[9];
        r[0] = r[4] = r[8] = 1;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++)
                {
                    r[1] = r[3] = -1 + (i + 0.5) * h;
                    r[2] = r[6] = -1 + (j + 0.5) * h;
                    r[5] = r[7] = -1 + (k + 0.5) * h;
                    double logp = lkj.LogDensity(r);
                    if (logp > double.NegativeInfinity) sum += Math.Exp(logp);
                }
        double integral = sum * h * h * h;
        Assert.True(Math.Abs(integral - 1) < 1e-4, $"integral {integral}");
    }

    [Fact]
    public void Multivariate_SameSeed_SameDraws()
    {
        IMultivariateDistribution[] all =
            [new MultivariateNormal(s_mean, s_covariance), new Dirichlet(1, 2, 3), new LkjCorrelation(3, 1.5)];
        foreach (IMultivariateDistribution d in all)
        {
            double[][] a = Draw(d, new Rng(7, 1), 50), b = Draw(d, new Rng(7, 1), 50), c = Draw(d, new Rng(8, 1), 50);
            for (int i = 0; i < 50; i++) Assert.Equal(a[i], b[i]);
            Assert.NotEqual(a[0], c[0]);
        }
    }
}
