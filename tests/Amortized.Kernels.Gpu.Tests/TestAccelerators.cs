using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Amortized.Kernels.Gpu.Tests;

/// <summary>
/// Picks the device the parity tests run on. By default ILGPU's CPU accelerator (an emulator: slow, so the tests
/// use small sizes), either the default CPU device (16 threads per group: the small-tile GEMM) or a wide one
/// (256 threads per group: the register-blocked GEMM). With AMORTIZED_GPU_TEST_DEVICE=cuda both return the first
/// CUDA device instead, so the same tests check a real GPU.
/// </summary>
public static class TestAccelerators
{
    public const string EnvironmentVariable = "AMORTIZED_GPU_TEST_DEVICE";

    public static bool UseCuda =>
        string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "cuda", StringComparison.OrdinalIgnoreCase);

    /// <summary>A context and accelerator; <paramref name="wideGroups"/> asks for &gt;= 256 threads per group.</summary>
    public static (Context Context, Accelerator Accelerator) Create(bool wideGroups)
    {
        if (UseCuda)
        {
            var cuda = Context.Create(b => b.Cuda().EnableAlgorithms());
            var device = cuda.Devices.FirstOrDefault(d => d.AcceleratorType == AcceleratorType.Cuda);
            if (device is null)
            {
                cuda.Dispose();
                throw new InvalidOperationException(
                    $"{EnvironmentVariable}=cuda but ILGPU found no CUDA device (is the NVIDIA driver installed and a GPU visible?).");
            }
            return (cuda, device.CreateAccelerator(cuda));
        }

        // The wide device: 4 threads per warp x 64 warps = 256 threads per group, on 2 "multiprocessors".
        var context = wideGroups
            ? Context.Create(b => b.CPU(new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 64, numMultiprocessors: 2)).EnableAlgorithms())
            : Context.Create(b => b.DefaultCPU().EnableAlgorithms());
        var cpu = context.Devices.First(d => d.AcceleratorType == AcceleratorType.CPU);
        return (context, cpu.CreateAccelerator(context));
    }
}

/// <summary>One context, accelerator and <see cref="GpuKernels"/> shared by a test class (compiling is slow).</summary>
public abstract class DeviceFixture : IDisposable
{
    private readonly Context _context;

    protected DeviceFixture(bool wideGroups)
    {
        (_context, Accelerator) = TestAccelerators.Create(wideGroups);
        Kernels = new GpuKernels(Accelerator);
    }

    public Accelerator Accelerator { get; }

    public GpuKernels Kernels { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] data)
    {
        var buffer = Accelerator.Allocate1D<float>(Math.Max(data.Length, 1));
        if (data.Length > 0)
            buffer.View.SubView(0, data.Length).CopyFromCPU(data);
        return buffer;
    }

    public MemoryBuffer1D<int, Stride1D.Dense> Upload(int[] data)
    {
        var buffer = Accelerator.Allocate1D<int>(Math.Max(data.Length, 1));
        if (data.Length > 0)
            buffer.View.SubView(0, data.Length).CopyFromCPU(data);
        return buffer;
    }

    /// <summary>Waits for the device, then copies the first <paramref name="length"/> elements back.</summary>
    public float[] Download(MemoryBuffer1D<float, Stride1D.Dense> buffer, int length)
    {
        Accelerator.Synchronize();
        var result = new float[length];
        if (length > 0)
            buffer.View.SubView(0, length).CopyToCPU(result);
        return result;
    }

    public void Dispose()
    {
        Accelerator.Dispose();
        _context.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>ILGPU's default CPU device: 16 threads per group (small-tile GEMM).</summary>
public sealed class DefaultDeviceFixture : DeviceFixture
{
    public DefaultDeviceFixture() : base(wideGroups: false)
    {
    }
}

/// <summary>A CPU device with 256 threads per group (register-blocked GEMM, group reductions of 256).</summary>
public sealed class WideDeviceFixture : DeviceFixture
{
    public WideDeviceFixture() : base(wideGroups: true)
    {
    }
}
