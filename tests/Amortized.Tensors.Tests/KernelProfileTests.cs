using Amortized.Kernels.Cpu;
using Amortized.Tensors.Autodiff;
using Amortized.Testing;
using Xunit;

namespace Amortized.Tensors.Tests;

/// <summary>
/// The benchmark's per-family profile: a fused Linear + SiLU forward and backward lands in the GEMM family with
/// its inner microkernel, packing and epilogue parts, the gradient zero-fill and the loss's reduction in theirs,
/// and nothing is accounted while profiling is off.
/// </summary>
public class KernelProfileTests
{
    private static void LinearStep()
    {
        var rng = new Rng(7);
        var x = TestTensors.Uniform(rng, -1f, 1f, 64, 32);
        var w = TestTensors.Uniform(rng, -1f, 1f, 32, 48);
        var b = TestTensors.Uniform(rng, -1f, 1f, 48);
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        var tape = new Tape();
        using (tape.Record())
        {
            var loss = Tensor.Linear(x, w, b, Activation.Silu).Sum();
            tape.Backward(loss);
        }
    }

    [Fact]
    public void Profile_LinearStep_AccountsEachFamilyAndNothingWhenOff()
    {
        // The profile is process-wide; only this test turns it on, so others running beside it add nothing while
        // it is off, and only "at least" can be asserted while it is on.
        KernelProfile.Reset();
        LinearStep();
        foreach (var family in Enum.GetValues<KernelFamily>())
        {
            Assert.Equal(0, KernelProfile.Calls(family));
            Assert.Equal(0.0, KernelProfile.Milliseconds(family));
        }

        KernelProfile.Enabled = true;
        try
        {
            LinearStep();
        }
        finally
        {
            KernelProfile.Enabled = false;
        }
        // Forward x W with the fused epilogue, then dW = x^T dy and (no gradient for x) no third product.
        Assert.True(KernelProfile.Calls(KernelFamily.Gemm) >= 2, $"{KernelProfile.Calls(KernelFamily.Gemm)} GEMM calls");
        Assert.True(KernelProfile.Calls(KernelFamily.GemmEpilogue) >= 1);
        // Packing: B of both products (48 columns leave an edge tile, so B is not read in place), and their A
        // too except on AVX-512, which reads A in place when alpha is 1.
        Assert.True(KernelProfile.Calls(KernelFamily.GemmPacking) >= 2);
        Assert.True(KernelProfile.Milliseconds(KernelFamily.GemmMicroKernel) > 0);
        Assert.True(KernelProfile.Calls(KernelFamily.Reduction) >= 1, "the sum and the bias gradient are reductions");
        Assert.True(KernelProfile.Milliseconds(KernelFamily.Gemm) >=
            KernelProfile.Milliseconds(KernelFamily.GemmEpilogue), "the epilogue is part of the GEMM's wall time");
        KernelProfile.Reset();
        Assert.Equal(0, KernelProfile.Calls(KernelFamily.Gemm));
    }
}
