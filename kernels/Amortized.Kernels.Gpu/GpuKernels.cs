using ILGPU;
using ILGPU.Runtime;

namespace Amortized.Kernels.Gpu;

/// <summary>
/// The device kernels of the GPU backend, bound to one <see cref="ILGPU.Runtime.Accelerator"/>. Each kernel is
/// loaded (compiled) once, on first use, and its launcher cached; every launch is asynchronous on
/// <c>accelerator.DefaultStream</c> and the caller synchronizes. Launches use explicit grid and group sizes derived
/// from the device limits (auto-grouping would cost a query per launch).
/// </summary>
/// <remarks>
/// Every <see cref="ArrayView{T}"/> argument is already sliced to exactly the elements of its tensor. An "empty"
/// view (<c>default</c> or length 0) means the argument is absent. Calls allocate no device memory except the
/// split-K scratch buffer, which grows once to the largest size needed and is then reused.
/// Results are deterministic: sums are taken in a fixed order (never float atomics), so the same call on the same
/// device gives bitwise-identical results.
/// Not thread-safe: use one instance from one thread (as the device stream is).
/// The launchers are split by kernel family, like Amortized.Kernels.Cpu: GpuKernels.Elementwise.cs, .Broadcast.cs,
/// .Gemm.cs, .Reduce.cs, .Layout.cs, .Optim.cs, .Coupling.cs and .Spline.cs. Each caches its launchers in fields
/// filled on first use: compiling is slow (100s of ms), launching is not.
/// </remarks>
public sealed partial class GpuKernels
{
    private const int MaxPartials = 1024;

    private readonly int _group;        // elementwise group size
    private readonly int _reduceGroup;  // power of two, <= ReduceKernels.MaxGroup
    private readonly int _maxGroups;    // grid-stride launches use at most this many groups
    private readonly bool _blockedGemm;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _dummy;     // bound to absent optional arguments
    private readonly MemoryBuffer1D<int, Stride1D.Dense> _dummyInt;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _partials;  // SumOfSquares pass-1 results

    /// <summary>Binds the kernels to <paramref name="accelerator"/>; nothing is compiled until first use.</summary>
    /// <param name="accelerator">The device; its context must have ILGPU.Algorithms enabled
    /// (<c>EnableAlgorithms()</c>).</param>
    public GpuKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Accelerator = accelerator;
        int maxThreads = accelerator.MaxNumThreadsPerGroup;
        if (maxThreads < GemmKernels.SmallThreads)
            throw new NotSupportedException($"GpuKernels needs at least {GemmKernels.SmallThreads} threads per " +
                $"group; {accelerator.Name} allows {maxThreads}.");
        _group = Math.Min(256, maxThreads);
        _reduceGroup = 1;
        while (_reduceGroup * 2 <= Math.Min(ReduceKernels.MaxGroup, maxThreads))
            _reduceGroup *= 2;
        int perSm = Math.Max(1, accelerator.MaxNumThreadsPerMultiprocessor / _group);
        _maxGroups = Math.Max(1, accelerator.NumMultiprocessors * perSm * 4);
        _blockedGemm = maxThreads >= GemmKernels.Threads;
        _dummy = accelerator.Allocate1D<float>(1);
        _dummyInt = accelerator.Allocate1D<int>(1);
        _partials = accelerator.Allocate1D<float>(MaxPartials);
    }

    /// <summary>The device these kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>
    /// Whether GEMM uses the 64x64 register-blocked tiling (devices with &gt;= 256 threads per group).
    /// </summary>
    public bool UsesBlockedGemm => _blockedGemm;

    private static bool Has<T>(ArrayView<T> v) where T : unmanaged => v.IsValid && v.Length > 0;

    private ArrayView<float> OrDummy(ArrayView<float> v) => Has(v) ? v : _dummy.View;

    private static int Count(ArrayView<float> v, string name)
    {
        if (!Has(v))
            return 0;
        if (v.Length > int.MaxValue)
            throw new ArgumentException($"{name} has {v.Length} elements; kernels index with int.", name);
        return (int)v.Length;
    }

    private static void Require(ArrayView<float> v, long needed, string name)
    {
        long have = Has(v) ? v.Length : 0;
        if (have < needed)
            throw new ArgumentException($"{name} has {have} elements but {needed} are needed.", name);
    }

    /// <summary>Grid-stride configuration: enough groups to cover n, capped at a few waves of the device.</summary>
    private KernelConfig Config(long n)
    {
        long groups = (n + _group - 1) / _group;
        int g = (int)Math.Clamp(groups, 1, _maxGroups);
        return new KernelConfig(new Index1D(g), new Index1D(_group));
    }

    /// <summary>One group per output, capped at a few waves (groups loop over outputs).</summary>
    private KernelConfig GroupPerOutput(int outputs) =>
        new(new Index1D(Math.Clamp(outputs, 1, _maxGroups)), new Index1D(_reduceGroup));

    /// <summary>
    /// Group-per-output pays off when rows are long and there are too few of them to fill the device.
    /// </summary>
    private static bool UseGroupReduction(long outputs, long length) =>
        length > 256 || (length >= 32 && outputs < 1024);
}
