namespace Amortized.Kernels.Cpu.Tests;

/// <summary>The packing routines against their definitions, including the transposing path's overhang.</summary>
public sealed unsafe class GemmPackingTests
{
    public static TheoryData<int> PanelWidths => new(4, 6, 12, 16, 32);

    [Theory]
    [MemberData(nameof(PanelWidths))]
    public void PackTransposed_AnyLanesAndSteps_MatchesDefinitionAndStaysInBounds(int r)
    {
        const int ld = 41;
        var rng = new Random(r);
        float[] src = new float[r * ld];
        for (int i = 0; i < src.Length; i++)
            src[i] = (float)rng.NextDouble();
        for (int lanes = 1; lanes <= r; lanes++)
        {
            for (int kc = 0; kc <= 37; kc++)
            {
                float[] dst = new float[r * kc + GemmPacking.Slack + 8];
                Array.Fill(dst, float.NaN);
                fixed (float* s = src)
                fixed (float* d = dst)
                    GemmPacking.PackTransposed(s, ld, lanes, kc, r, d);
                for (int p = 0; p < kc; p++)
                {
                    for (int l = 0; l < r; l++)
                        Assert.Equal(l < lanes ? src[l * ld + p] : 0f, dst[p * r + l]);
                }
                // The overhang may touch at most Slack floats past the panel.
                for (int i = r * kc + GemmPacking.Slack; i < dst.Length; i++)
                    Assert.True(float.IsNaN(dst[i]), $"wrote past slack at {i} (r={r}, lanes={lanes}, kc={kc})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(PanelWidths))]
    public void PackDirect_AnyWidthAndSteps_MatchesDefinitionAndStaysInBounds(int r)
    {
        const int ld = 97;
        var rng = new Random(r);
        float[] src = new float[40 * ld];
        for (int i = 0; i < src.Length; i++)
            src[i] = (float)rng.NextDouble();
        foreach (int total in new[] { 1, r - 1, r, r + 1, 2 * r, 3 * r + 2, 90 })
        {
            if (total < 1 || total > ld)
                continue;
            int panels = (total + r - 1) / r;
            // readable = total: only the block's own columns may be read; ld: whole vectors may be read.
            foreach (int readable in new[] { total, ld })
            {
                for (int kc = 0; kc <= 37; kc += 3)
                {
                    int stride = GemmPacking.PanelStride(r, kc);
                    float[] dst = new float[panels * stride + 8];
                    Array.Fill(dst, float.NaN);
                    fixed (float* s = src)
                    fixed (float* d = dst)
                        GemmPacking.PackDirect(s, ld, total, readable, kc, r, stride, d);
                    for (int q = 0; q < panels; q++)
                    {
                        for (int p = 0; p < kc; p++)
                        {
                            for (int l = 0; l < r; l++)
                            {
                                int lane = q * r + l;
                                Assert.Equal(lane < total ? src[p * ld + lane] : 0f, dst[q * stride + p * r + l]);
                            }
                        }
                    }
                    for (int i = panels * stride; i < dst.Length; i++)
                        Assert.True(float.IsNaN(dst[i]), $"wrote past the panels at {i} (r={r}, kc={kc})");
                }
            }
        }
    }
}
