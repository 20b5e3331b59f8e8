using Amortized.Inference.Diagnostics;
using Amortized.Inference.Tasks;
using Amortized.Tensors;
using Xunit;

namespace Amortized.Inference.Tests.Tasks;

/// <summary>
/// The reference posteriors the accuracy benchmark scores against: slice sampling must be indistinguishable from
/// the exact posterior where one exists (C2ST 0.5 +- 0.02), and its convergence checks must hold.
/// </summary>
public sealed class ReferencePosteriorTests
{
    private const int Draws = 4000;

    private static readonly ReferencePosteriorOptions Sampled = new()
    {
        PreferExact = false,
        MinEffectiveSampleSize = Draws,
    };

    [Theory]
    [InlineData("gaussian_linear")]          // 10-D Gaussian
    [InlineData("gaussian_linear_uniform")]  // 10-D truncated at the prior's box
    [InlineData("gaussian_mixture")]         // heavy-tailed: two scales around one centre
    public void SliceSampling_MatchesTheExactPosterior_ByC2st(string name)
    {
        var task = BenchmarkTasks.Create(name);
        float[] x = task.Sample(1, 11).Row(task.DataKey, 0).ToArray();
        var sampled = ReferencePosterior.Compute(task, x, Draws, 5, Sampled);
        var exact = ReferencePosterior.Compute(task, x, Draws, 6);
        Assert.False(sampled.IsExact);
        Assert.True(exact.IsExact);
        Assert.True(sampled.Converged(Sampled), $"R-hat {string.Join(", ", sampled.RHat!)}; ESS " +
            string.Join(", ", sampled.EffectiveSampleSize!));
        int p = task.ParameterDim;
        double c2st = C2st.Accuracy(exact.Draws, Draws, sampled.Draws, Draws, p, C2stOptions.Sbibm(p), 3);
        Assert.InRange(c2st, 0.48, 0.52);
    }

    [Fact]
    public void C2st_SeesASamplerThatIsWrong()
    {
        // The same check must fail for a posterior of another observation: the test above can fail.
        var task = new GaussianMixture();
        float[] x = [1f, 2f], other = [1.3f, 2f];
        var a = ReferencePosterior.Compute(task, x, Draws, 1);
        var b = ReferencePosterior.Compute(task, other, Draws, 2);
        double c2st = C2st.Accuracy(a.Draws, Draws, b.Draws, Draws, 2, C2stOptions.Sbibm(2), 3);
        Assert.True(c2st > 0.55, $"C2ST {c2st}");
    }

    [Fact]
    public void Slcp_MirrorModesGetEqualMass_AndTheChainsConverge()
    {
        var task = new Slcp();
        float[] x = task.Sample(1, 4).Row(task.DataKey, 0).ToArray();
        var options = new ReferencePosteriorOptions { MinEffectiveSampleSize = Draws };
        var reference = ReferencePosterior.Compute(task, x, Draws, 9, options);
        Assert.True(reference.Converged(options));
        foreach (int j in new[] { 2, 3 })
        {
            int negative = 0;
            for (int i = 0; i < Draws; i++) if (reference.Draws[i * 5 + j] < 0) negative++;
            // A fair sign per draw: 0.5 +- 4 standard errors.
            Assert.InRange(negative / (double)Draws, 0.5 - 4 * Math.Sqrt(0.25 / Draws), 0.5 + 4 * Math.Sqrt(0.25 / Draws));
        }
        // Every draw has positive posterior density.
        for (int i = 0; i < Draws; i++)
        {
            var theta = reference.Draws.AsSpan(i * 5, 5);
            Assert.True(double.IsFinite(task.LogPrior(theta) + task.LogLikelihood(theta, x)));
        }
    }

    [Fact]
    public void LogNormalTask_IsSampledOnTheLogScale_AndIsDeterministic()
    {
        var task = new Sir();
        float[] x = task.Sample(1, 2).Row(task.DataKey, 0).ToArray();
        var options = new ReferencePosteriorOptions { Chains = 40, MinEffectiveSampleSize = 1000 };
        var a = ReferencePosterior.Compute(task, x, 1000, 3, options);
        var b = ReferencePosterior.Compute(task, x, 1000, 3, options);
        Assert.Equal(a.Draws, b.Draws);
        Assert.All(a.Draws, v => Assert.True(v > 0));
        Assert.True(a.Converged(options));
    }

    [Fact]
    public void TaskWithoutLikelihood_IsRefused()
    {
        var task = new InverseKinematics();
        var e = Assert.Throws<NotSupportedException>(() =>
            ReferencePosterior.Compute(task, new float[task.DataDim], 10, 0));
        Assert.Contains("inverse_kinematics", e.Message);
    }

    [Fact]
    public void ObservationOfTheWrongLength_NamesTheTask()
    {
        var e = Assert.Throws<ArgumentException>(() => ReferencePosterior.Compute(new TwoMoons(), new float[3], 10, 0));
        Assert.Contains("two_moons", e.Message);
        Assert.Contains("expected 2", e.Message);
    }
}
