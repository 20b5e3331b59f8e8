namespace Amortized.Kernels.Cpu.Tests;

/// <summary>Public mirror of the internal <see cref="SimdPath"/>, so theories can take it as a parameter.</summary>
public enum KernelPath
{
    Scalar = SimdPath.Scalar,
    Vector256 = SimdPath.Vector256,
    Vector512 = SimdPath.Vector512,
}

internal static class KernelPathExtensions
{
    public static SimdPath ToSimd(this KernelPath path) => (SimdPath)path;
}
