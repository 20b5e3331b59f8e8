using System.Runtime.CompilerServices;
using Amortized.Gpu;
using Amortized.Tensors.Backends;

namespace Amortized.Cli;

/// <summary>
/// <c>--device cpu|cuda|opencl|ilgpu-cpu</c>: the host backend, or an ILGPU accelerator (the first CUDA or OpenCL
/// device; ilgpu-cpu is ILGPU's CPU emulator, slow, for checking the GPU path without a GPU). ILGPU generates its
/// kernels at run time, which the native (AOT) binary cannot: there only cpu works, and the JIT build
/// (<c>dotnet amortized.dll</c>) is the GPU build. Under AOT the accelerator branch is removed by the compiler
/// (<see cref="RuntimeFeature.IsDynamicCodeSupported"/> is a constant false), so ILGPU never enters the binary.
/// </summary>
internal static class DeviceSelection
{
    /// <summary>Opens the device; a missing GPU or an AOT binary is a usage error naming what to do instead.</summary>
    public static IBackend Open(DeviceChoice device)
    {
        if (device == DeviceChoice.Cpu) return CpuBackend.Instance;
        string word = CliChoices.Devices.Word(device);
        if (!RuntimeFeature.IsDynamicCodeSupported)
            throw new UsageException($"--device {word}: this is the native (AOT) build, which cannot generate GPU " +
                $"kernels; run the JIT build (dotnet amortized.dll ...) for --device {word}, or use --device cpu.");
        return OpenAccelerator(device, word);
    }

    private static IBackend OpenAccelerator(DeviceChoice device, string word)
    {
        try
        {
            return GpuBackend.Create(device switch
            {
                DeviceChoice.Cuda => GpuDeviceKind.Cuda,
                DeviceChoice.OpenCL => GpuDeviceKind.OpenCL,
                _ => GpuDeviceKind.Cpu,
            });
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"--device {word}: {e.Message}");
        }
    }

    /// <summary>
    /// One line per device this build can compute on: the CPU, then what ILGPU finds (JIT builds only).
    /// </summary>
    public static IReadOnlyList<string> Describe()
    {
        var lines =
            new List<string> { $"cpu        host CPU, {Environment.ProcessorCount} threads (always available)" };
        if (!RuntimeFeature.IsDynamicCodeSupported)
        {
            lines.Add("(GPU devices are listed by the JIT build only: this native binary cannot generate GPU kernels)");
            return lines;
        }
        lines.AddRange(ListAccelerators());
        return lines;
    }

    private static IEnumerable<string> ListAccelerators() =>
        GpuBackend.ListDevices().Select(d =>
            $"{(d.Kind == GpuDeviceKind.Cpu ? "ilgpu-cpu" : d.Kind.ToString().ToLowerInvariant()),-10} {d}");
}
