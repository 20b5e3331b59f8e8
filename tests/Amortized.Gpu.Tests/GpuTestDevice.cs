using Amortized.Gpu;
using Xunit;

namespace Amortized.Gpu.Tests;

/// <summary>
/// The device the backend tests run on: ILGPU's CPU emulator by default (the CI path: exact but slow, so sizes stay
/// small), or the first CUDA GPU when AMORTIZED_GPU_TEST_DEVICE=cuda (benchmarks/Amortized.GpuBench runs these very
/// tests that way on a GPU machine).
/// </summary>
public static class GpuTestDevice
{
    /// <summary>Environment variable that selects the device ("cuda" or unset).</summary>
    public const string EnvironmentVariable = "AMORTIZED_GPU_TEST_DEVICE";

    /// <summary>True when the tests are asked to run on CUDA.</summary>
    public static bool UseCuda =>
        string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "cuda", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens the selected device; on CUDA a missing GPU is an error, not a silent fallback.</summary>
    public static GpuBackend Open() => GpuBackend.Create(UseCuda ? GpuDeviceKind.Cuda : GpuDeviceKind.Cpu);

    private static readonly Lazy<bool> s_cudaPresent = new(() =>
    {
        if (!GpuBackend.TryCreate(GpuDeviceKind.Cuda, out var backend)) return false;
        backend!.Dispose();
        return true;
    });

    /// <summary>Whether a CUDA device is visible to ILGPU on this machine.</summary>
    public static bool CudaPresent => s_cudaPresent.Value;
}

/// <summary>One backend per test class: creating an ILGPU context and compiling kernels takes seconds.</summary>
public sealed class GpuBackendFixture : IDisposable
{
    /// <summary>The backend under test.</summary>
    public GpuBackend Backend { get; } = GpuTestDevice.Open();

    /// <inheritdoc />
    public void Dispose() => Backend.Dispose();
}

/// <summary>A fact that runs only where ILGPU sees a CUDA GPU and is reported as skipped elsewhere.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no CUDA device exists.</summary>
    public CudaFactAttribute()
    {
        if (!GpuTestDevice.CudaPresent) Skip = "no CUDA device visible to ILGPU on this machine";
    }
}
