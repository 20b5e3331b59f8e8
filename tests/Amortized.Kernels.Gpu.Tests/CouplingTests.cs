using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// The coupling kernels against their CPU twins in AffineCouplingKernels. The affine coupling chains a few
/// transcendentals (tanh, or asinh, softplus, sigmoid and log; then exp), computed by different libraries on each
/// side, each within a few ulp: values and gradients may differ by 2e-5 relative (a few hundred ulp, covering the
/// chain and the products with x and dy) plus 2e-6 absolute where terms cancel (log s near 0, dt = -dx).
/// Shapes: x (B, D), parameters (B, 2D), log-det (B). The spline coupling's tests are in SplineTests.cs.
/// </summary>
public sealed class CouplingTests(DefaultDeviceFixture fixture) : IClassFixture<DefaultDeviceFixture>
{
    private const double Rtol = 2e-5, Atol = 2e-6;
    private const int B = 7, D = 3;
    private readonly DefaultDeviceFixture _f = fixture;
    private GpuKernels K => _f.Kernels;

    [Theory]
    [InlineData(AffineScaleKind.TanhExp, false)]
    [InlineData(AffineScaleKind.TanhExp, true)]
    [InlineData(AffineScaleKind.SoftplusAsinh, false)]
    [InlineData(AffineScaleKind.SoftplusAsinh, true)]
    public void AffineCoupling_MatchesCpu(AffineScaleKind kind, bool inverse)
    {
        float[] x = Check.Random(B * D, 1, -3f, 3f), p = Check.Random(B * 2 * D, 2, -4f, 4f);
        p[0] = 0f;          // a = 0: log s = 0, the identity
        p[1] = 1e6f;        // far into the scale function's saturation
        float[] y = new float[B * D], logDet = new float[B];
        AffineCouplingKernels.Forward(x, p, kind, inverse, y, logDet, B, D);

        using var dX = _f.Upload(x);
        using var dP = _f.Upload(p);
        using var dY = _f.Upload(new float[B * D]);
        using var dLd = _f.Upload(new float[B]);
        K.AffineCoupling(dX.View, dP.View, dY.View, dLd.View, B, D, kind, inverse);
        Check.Close(y, _f.Download(dY, B * D), Rtol, Atol, "y");
        Check.Close(logDet, _f.Download(dLd, B), Rtol, Atol, "logDet");
    }

    [Theory]
    [InlineData(AffineScaleKind.TanhExp, false, true, true, false)]
    [InlineData(AffineScaleKind.TanhExp, true, true, false, true)]
    [InlineData(AffineScaleKind.SoftplusAsinh, false, false, true, true)]
    [InlineData(AffineScaleKind.SoftplusAsinh, true, true, true, false)]
    [InlineData(AffineScaleKind.SoftplusAsinh, true, true, true, true)]
    public void AffineCouplingBackward_MatchesCpu(AffineScaleKind kind, bool inverse, bool withDy, bool withDLogDet, bool overwrite)
    {
        float[] x = Check.Random(B * D, 3, -3f, 3f), p = Check.Random(B * 2 * D, 4, -4f, 4f);
        float[] dy = Check.Random(B * D, 5), dl = Check.Random(B, 6);
        float[] dx0 = Check.Random(B * D, 7), dp0 = Check.Random(B * 2 * D, 8);
        float[] dxCpu = (float[])dx0.Clone(), dpCpu = (float[])dp0.Clone();
        AffineCouplingKernels.Backward(x, p, kind, inverse, withDy ? dy : default, withDLogDet ? dl : default,
            dxCpu, overwrite, dpCpu, overwrite, B, D);

        using var dX = _f.Upload(x);
        using var dP = _f.Upload(p);
        using var dDy = _f.Upload(dy);
        using var dDl = _f.Upload(dl);
        using var dDx = _f.Upload(dx0);
        using var dDp = _f.Upload(dp0);
        K.AffineCouplingBackward(dX.View, dP.View, withDy ? dDy.View : default, withDLogDet ? dDl.View : default,
            dDx.View, overwrite, dDp.View, overwrite, B, D, kind, inverse);
        Check.Close(dxCpu, _f.Download(dDx, B * D), Rtol, Atol, "dx");
        Check.Close(dpCpu, _f.Download(dDp, B * 2 * D), Rtol, Atol, "dParameters");
    }

    [Fact]
    public void AffineCouplingBackward_NoDxWanted_LeavesItAndWritesParameters()
    {
        float[] x = Check.Random(B * D, 9), p = Check.Random(B * 2 * D, 10), dy = Check.Random(B * D, 11);
        var dpCpu = new float[B * 2 * D];
        AffineCouplingKernels.Backward(x, p, AffineScaleKind.TanhExp, false, dy, default, default, false, dpCpu, true,
            B, D);
        using var dX = _f.Upload(x);
        using var dP = _f.Upload(p);
        using var dDy = _f.Upload(dy);
        using var dDp = _f.Upload(Enumerable.Repeat(float.NaN, B * 2 * D).ToArray());   // overwrite: old contents ignored
        K.AffineCouplingBackward(dX.View, dP.View, dDy.View, default, default, false, dDp.View, true, B, D,
            AffineScaleKind.TanhExp, false);
        Check.Close(dpCpu, _f.Download(dDp, B * 2 * D), Rtol, Atol, "dParameters");
    }
}
