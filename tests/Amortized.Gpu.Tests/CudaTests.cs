using Amortized.Workloads;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>
/// Checks that need a real NVIDIA GPU; reported as skipped where ILGPU sees none (CI). The full parity suite also
/// runs on CUDA with AMORTIZED_GPU_TEST_DEVICE=cuda (benchmarks/Amortized.GpuBench test).
/// </summary>
public sealed class CudaTests
{
    [CudaFact]
    public void Cuda_W1AtBatch4096_ThreeStepsMatchCpu()
    {
        using var cuda = GpuBackend.Create(GpuDeviceKind.Cuda);
        var cpu = new FlowWorkload(withDeepSet: false, seed: 7, batch: 4096, backend: null);
        var gpu = new FlowWorkload(withDeepSet: false, seed: 7, batch: 4096, cuda);
        for (int step = 0; step < 3; step++) Assert.Equal(cpu.Step(), gpu.Step(), 1e-4f);
        float[] wc = cpu.Store.ValuesTensor.ToArray(), wg = gpu.Store.ValuesTensor.ToArray();
        for (int i = 0; i < wc.Length; i++) Assert.True(MathF.Abs(wc[i] - wg[i]) <= 1e-4f, $"weight {i}: {wg[i]} on CUDA, {wc[i]} on the CPU");
    }

    [CudaFact]
    public void Cuda_DeviceIsListedWithItsName()
    {
        var devices = GpuBackend.ListDevices().Where(d => d.Kind == GpuDeviceKind.Cuda).ToList();
        Assert.NotEmpty(devices);
        Assert.All(devices, d => Assert.False(string.IsNullOrWhiteSpace(d.Name)));
        Assert.All(devices, d => Assert.True(d.MaxThreadsPerGroup >= 256));
    }
}
