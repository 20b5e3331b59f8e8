using Amortized.Kernels.Cpu;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// LayerNorm forward and backward against their CPU twins (Amortized.Kernels.Cpu). The CPU sums rows with
/// TensorPrimitives (vectorised order), the device sequentially: mean and variance each differ by at most 2 (cols + 2)
/// u relative (positive terms for the variance; for the mean relative to mean |x|). Every output is a product of O(1)
/// factors of those, so outputs are compared with 4 (cols + 4) u (1 + |value|) (about 3e-6 at cols = 9), and the
/// per-column sums over rows (dGamma, dBeta, added in the same row order) with 4 (rows + cols + 4) u times their
/// magnitude.
/// </summary>
public sealed class LayerNormTests(DefaultDeviceFixture fixture) : IClassFixture<DefaultDeviceFixture>
{
    private readonly DefaultDeviceFixture _f = fixture;

    [Theory]
    [InlineData(6, 9, true, true)]
    [InlineData(5, 4, false, false)]
    [InlineData(3, 17, true, false)]
    public void LayerNormForwardAndBackwardMatchCpu(int rows, int cols, bool affine, bool withDx)
    {
        int n = rows * cols;
        const float eps = 1e-5f;
        float[] x = Check.Random(n, 1, -3f, 3f);
        float[]? gamma = affine ? Check.Random(cols, 2, 0.5f, 1.5f) : null;
        float[]? beta = affine ? Check.Random(cols, 3) : null;
        float[] y = new float[n], mean = new float[rows], rstd = new float[rows];
        ReductionKernels.LayerNorm(x, gamma, beta, eps, y, mean, rstd, rows, cols);

        using var dX = _f.Upload(x);
        using var dGamma = _f.Upload(gamma ?? []);
        using var dBeta = _f.Upload(beta ?? []);
        using var dY = _f.Upload(new float[n]);
        using var dMean = _f.Upload(new float[rows]);
        using var dRstd = _f.Upload(new float[rows]);
        _f.Kernels.LayerNorm(dX.View, affine ? dGamma.View : default, affine ? dBeta.View : default, eps, dY.View, dMean.View, dRstd.View, rows, cols);
        double tol = 4.0 * (cols + 4) * Check.U;
        Check.Close(y, _f.Download(dY, n), tol, tol, "y");
        Check.Close(mean, _f.Download(dMean, rows), tol, tol, "mean");
        Check.Close(rstd, _f.Download(dRstd, rows), tol, 0, "rstd");

        // Backward from the CPU's mean and rstd, accumulating into non-zero gradients.
        float[] dy = Check.Random(n, 4), dx0 = Check.Random(n, 5), dg0 = Check.Random(cols, 6), db0 = Check.Random(cols, 7);
        float[] dx = (float[])dx0.Clone(), dg = (float[])dg0.Clone(), db = (float[])db0.Clone();
        ReductionKernels.LayerNormBackward(x, gamma, mean, rstd, dy, withDx ? dx : default, dg, db, rows, cols);
        using var dMeanC = _f.Upload(mean);
        using var dRstdC = _f.Upload(rstd);
        using var dDy = _f.Upload(dy);
        using var dDx = _f.Upload(dx0);
        using var dDg = _f.Upload(dg0);
        using var dDb = _f.Upload(db0);
        _f.Kernels.LayerNormBackward(dX.View, affine ? dGamma.View : default, dMeanC.View, dRstdC.View, dDy.View,
            withDx ? dDx.View : default, dDg.View, dDb.View, rows, cols);
        float[] dxActual = _f.Download(dDx, n);
        if (withDx)
        {
            // dx is a difference of O(rstd * |dy|) terms: bound relative to that scale, not to |dx|.
            float[] dxExpected = dx;
            var bound = new double[n];
            for (int i = 0; i < n; i++)
                bound[i] = tol * (Math.Abs(dxExpected[i]) + Math.Abs(dx0[i]) + 4 * rstd[i / cols] * 3);
            Check.Within(dxExpected, dxActual, bound, "dx");
        }
        else
        {
            Check.Bitwise(dx0, dxActual, "dx untouched");
        }
        double colTol = 4.0 * (rows + cols + 4) * Check.U;
        float[] dgExpected = dg, dbExpected = db;
        Check.Within(dgExpected, _f.Download(dDg, cols), dgExpected.Select((e, j) => colTol * (Math.Abs(e) + Math.Abs(dg0[j]) + rows * 4 * 3)).ToArray(), "dGamma");
        Check.Within(dbExpected, _f.Download(dDb, cols), dbExpected.Select((e, j) => colTol * (Math.Abs(e) + Math.Abs(db0[j]) + rows * 2)).ToArray(), "dBeta");
    }
}
