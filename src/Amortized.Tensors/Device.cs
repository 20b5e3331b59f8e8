namespace Amortized.Tensors;

/// <summary>Kinds of compute device a tensor can live on.</summary>
public enum DeviceKind
{
    /// <summary>Host memory, computed by <see cref="Backends.CpuBackend"/>.</summary>
    Cpu = 0,
    /// <summary>An accelerator behind a GPU backend (CUDA, OpenCL or ILGPU's CPU emulator).</summary>
    Gpu = 1,
}

/// <summary>A compute device: its kind and, for accelerators, the ordinal among devices of that kind.</summary>
public readonly record struct Device(DeviceKind Kind, int Ordinal = 0)
{
    /// <summary>The host CPU.</summary>
    public static Device Cpu => new(DeviceKind.Cpu);

    /// <inheritdoc />
    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : $"gpu:{Ordinal}";
}
