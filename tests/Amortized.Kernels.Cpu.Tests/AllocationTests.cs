using Amortized.Testing;

namespace Amortized.Kernels.Cpu.Tests;

/// <summary>Steady-state kernel calls allocate no managed memory (after warm-up, measured on the caller).</summary>
[Collection(SerialCollection.Name)]
public sealed class AllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void GemmMultiply_W1AndW4ShapesAfterWarmUp_AllocatesNothing(int threads)
    {
        int saved = KernelThreading.MaxThreads;
        try
        {
            KernelThreading.MaxThreads = threads;
            // The W1 shapes: forward (512,128)x(128,128) with bias and SiLU, small-K (512,3)x(3,128), and the
            // backward products dX = dY W^T and dW = X^T dY; plus the W4 shape (128,2048)x(2048,128).
            const Transpose No = Transpose.No, Yes = Transpose.Yes;
            const Activation Id = Activation.Identity;
            GemmData[] calls =
            [
                new GemmCase(512, 128, 128, No, No, 0, 0, 0, 1f, 0f, true, Activation.Silu, true, 1).Create(),
                new GemmCase(512, 128, 3, No, No, 0, 0, 0, 1f, 0f, true, Activation.Relu, false, 2).Create(),
                new GemmCase(512, 128, 128, No, Yes, 0, 0, 0, 1f, 0f, false, Id, false, 3).Create(),
                new GemmCase(128, 128, 512, Yes, No, 0, 0, 0, 1f, 1f, false, Id, false, 4).Create(),
                // A W4 shape: K = 2048 spans eight K blocks.
                new GemmCase(128, 128, 2048, No, No, 0, 0, 0, 1f, 0f, false, Id, false, 5).Create(),
            ];
            // The fewest bytes of five single-call windows: a GC started by another thread inside a window can add
            // the unused rest of this thread's allocation context (8 KB) to the count (CI once saw 8,016 B in one
            // window of 25), while an allocation in the call itself shows in every window.
            var log = new System.Text.StringBuilder();
            for (int i = 0; i < calls.Length; i++)
            {
                long bytes = Allocations.SteadyStateBytes(calls[i].Run, warmUp: 3, windows: 5, stepsPerWindow: 1);
                if (bytes != 0) log.Append($"call {i} ({calls[i].Case}): {bytes} B; ");
            }
            Assert.True(log.Length == 0, log.ToString());
        }
        finally
        {
            KernelThreading.MaxThreads = saved;
        }
    }

    [Fact]
    public void ActivationsForwardBackward_AllocateNothing()
    {
        float[] x = new float[1000], y = new float[1000], dx = new float[1000];
        Activation[] all = Enum.GetValues<Activation>();
        foreach (Activation act in all)
        {
            Activations.Forward(act, x, y);
            Activations.Backward(act, x, y, dx);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (Activation act in all)
        {
            Activations.Forward(act, x, y);
            Activations.Backward(act, x, y, dx);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
