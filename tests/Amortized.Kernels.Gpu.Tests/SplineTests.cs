using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// The spline-coupling kernels against their CPU twin SplineCouplingKernels, on tiny shapes (the CPU accelerator
/// emulates every thread). Both sides run the same float32 formulas in the same order, but with different exp, log,
/// softplus and sigmoid implementations (a few ulp each): the softmaxes, the knots' running sums and the rational-
/// quadratic formula chain them, and the backward divides by bin widths and f', so values and gradients may differ
/// by 1e-4 relative plus 1e-5 absolute (where a gradient is a difference of similar terms). Shapes: x (B, D),
/// parameters (B, D * (3K - 1)), log-det (B). D = 20 exceeds the default device's 16 threads per group, so one row
/// spans a whole group and each thread handles two features; D = 3 packs five rows into a group.
/// </summary>
public sealed class SplineTests(DefaultDeviceFixture fixture) : IClassFixture<DefaultDeviceFixture>
{
    private const double Rtol = 1e-4, Atol = 1e-5;
    private const float Bound = 3f, MinWidth = 1e-3f, MinHeight = 2e-3f, MinDerivative = 1e-3f;
    private readonly DefaultDeviceFixture _f = fixture;
    private GpuKernels K => _f.Kernels;

    private static SplineCouplingOptions Options(int bins) => new(bins, Bound, MinWidth, MinHeight, MinDerivative);

    /// <summary>x in [-3.6, 3.6] (about one in six outside the bound), raw parameters in [-2, 2].</summary>
    private static (float[] X, float[] P) Inputs(int rows, int features, int bins, int seed) =>
        (Check.Random(rows * features, seed, -1.2f * Bound, 1.2f * Bound), Check.Random(rows * features * (3 * bins - 1), seed + 1));

    [Theory]
    [InlineData(7, 3, 4, false)]
    [InlineData(7, 3, 4, true)]
    [InlineData(3, 20, 6, false)]
    [InlineData(3, 20, 6, true)]
    [InlineData(4, 2, 1, true)]
    public void SplineCoupling_MatchesCpu(int rows, int features, int bins, bool inverse)
    {
        var (x, p) = Inputs(rows, features, bins, 1);
        float[] y = new float[rows * features], logDet = new float[rows];
        SplineCouplingKernels.Forward(x, p, Options(bins), inverse, y, logDet, rows, features);

        using var dX = _f.Upload(x);
        using var dP = _f.Upload(p);
        using var dY = _f.Upload(Enumerable.Repeat(float.NaN, rows * features).ToArray());   // every element is written
        using var dLd = _f.Upload(Enumerable.Repeat(float.NaN, rows).ToArray());
        K.SplineCoupling(dX.View, dP.View, dY.View, dLd.View, rows, features, Options(bins), inverse);
        Check.Close(y, _f.Download(dY, rows * features), Rtol, Atol, "y");
        Check.Close(logDet, _f.Download(dLd, rows), Rtol, Atol, "logDet");
    }

    [Theory]
    [InlineData(7, 3, 4, false, true, true, false)]
    [InlineData(7, 3, 4, true, true, false, true)]
    [InlineData(5, 2, 5, false, false, true, true)]
    [InlineData(3, 20, 6, true, true, true, false)]
    [InlineData(3, 20, 6, true, true, true, true)]
    public void SplineCouplingBackward_MatchesCpu(int rows, int features, int bins, bool inverse, bool withDy, bool withDLogDet, bool overwrite)
    {
        var (x, p) = Inputs(rows, features, bins, 3);
        int n = rows * features, np = n * (3 * bins - 1);
        float[] dy = Check.Random(n, 5), dl = Check.Random(rows, 6);
        // Accumulating starts from these; overwriting must ignore them (NaN would show through).
        float[] dx0 = overwrite ? Enumerable.Repeat(float.NaN, n).ToArray() : Check.Random(n, 7);
        float[] dp0 = overwrite ? Enumerable.Repeat(float.NaN, np).ToArray() : Check.Random(np, 8);
        float[] dxCpu = (float[])dx0.Clone(), dpCpu = (float[])dp0.Clone();
        SplineCouplingKernels.Backward(x, p, Options(bins), inverse, withDy ? dy : default, withDLogDet ? dl : default,
            dxCpu, overwrite, dpCpu, overwrite, rows, features);

        using var dX = _f.Upload(x);
        using var dP = _f.Upload(p);
        using var dDy = _f.Upload(dy);
        using var dDl = _f.Upload(dl);
        using var dDx = _f.Upload(dx0);
        using var dDp = _f.Upload(dp0);
        K.SplineCouplingBackward(dX.View, dP.View, withDy ? dDy.View : default, withDLogDet ? dDl.View : default,
            dDx.View, overwrite, dDp.View, overwrite, rows, features, Options(bins), inverse);
        var dxGpu = _f.Download(dDx, n);
        var dpGpu = _f.Download(dDp, np);
        Assert.DoesNotContain(dxGpu, float.IsNaN);
        Assert.DoesNotContain(dpGpu, float.IsNaN);
        Check.Close(dxCpu, dxGpu, Rtol, Atol, "dx");
        Check.Close(dpCpu, dpGpu, Rtol, Atol, "dParameters");
    }

    [Fact]
    public void SplineCouplingBackward_NoDxWanted_WritesOnlyParameters()
    {
        const int rows = 4, features = 2, bins = 3;
        var (x, p) = Inputs(rows, features, bins, 9);
        float[] dy = Check.Random(rows * features, 10);
        var dpCpu = new float[rows * features * (3 * bins - 1)];
        SplineCouplingKernels.Backward(x, p, Options(bins), false, dy, default, default, false, dpCpu, true, rows,
            features);
        using var dX = _f.Upload(x);
        using var dP = _f.Upload(p);
        using var dDy = _f.Upload(dy);
        using var dDp = _f.Upload(Enumerable.Repeat(float.NaN, p.Length).ToArray());
        K.SplineCouplingBackward(dX.View, dP.View, dDy.View, default, default, false, dDp.View, true,
            rows, features, Options(bins), false);
        Check.Close(dpCpu, _f.Download(dDp, p.Length), Rtol, Atol, "dParameters");
    }
}
