using System.Runtime.CompilerServices;
using Amortized.Kernels.Cpu;
using Amortized.Kernels.Gpu;
using Amortized.Tensors;
using Amortized.Tensors.Backends;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace Amortized.Gpu;

/// <summary>Which kind of ILGPU accelerator a <see cref="GpuBackend"/> runs on.</summary>
public enum GpuDeviceKind
{
    /// <summary>An NVIDIA GPU through ILGPU's CUDA backend (PTX generated at run time).</summary>
    Cuda,
    /// <summary>An OpenCL device that ILGPU accepts (OpenCL 2.0+ C with generic address space).</summary>
    OpenCL,
    /// <summary>ILGPU's CPU accelerator: a slow, exact emulator used to test the kernels where no GPU exists.</summary>
    Cpu,
}

/// <summary>One accelerator ILGPU can see.</summary>
/// <param name="Kind">CUDA, OpenCL or the CPU emulator.</param>
/// <param name="Ordinal">Index among the devices of that kind (what <see cref="GpuBackend.Create(GpuDeviceKind, int)"/>
/// takes).</param>
/// <param name="Name">The device name the driver reports.</param>
/// <param name="MemoryBytes">Device memory.</param>
/// <param name="MaxThreadsPerGroup">Largest thread group a kernel may launch with.</param>
/// <param name="WarpSize">Threads per warp (SIMD group).</param>
public sealed record GpuDeviceInfo(GpuDeviceKind Kind, int Ordinal, string Name, long MemoryBytes,
    int MaxThreadsPerGroup, int WarpSize)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind.ToString().ToLowerInvariant()}:{Ordinal} '{Name}' ({MemoryBytes / (1 << 20)} MiB, " +
        $"{MaxThreadsPerGroup} threads/group, warp {WarpSize})";
}

/// <summary>
/// The accelerator backend: tensors whose storage is ILGPU device memory, computed by the kernels of
/// Amortized.Kernels.Gpu (each compiled once per accelerator and cached). Every launch is asynchronous on the
/// accelerator's default stream; only <see cref="Download"/> (a loss scalar, a result) and
/// <see cref="SumOfSquares"/> (the 8-byte gradient norm Adam checks) wait for the device. Per-step memory comes
/// from the device arenas of <see cref="Workspace"/>, so a steady-state training step allocates no device memory
/// (<see cref="AllocationCount"/> stops growing).
/// </summary>
/// <example>
/// <code>
/// using var gpu = GpuBackend.Create(GpuDeviceKind.Cuda);
/// store.MoveTo(gpu);                                // parameters and gradients to the device
/// using (BackendScope.Use(gpu)) { /* the same training code as on the CPU */ }
/// </code>
/// </example>
public sealed class GpuBackend : IBackend, IDisposable
{
    private readonly Context _context;
    private readonly Dictionary<int, List<(int[] Values, MemoryBuffer1D<int, Stride1D.Dense> Buffer)>> _indexCache = [];
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _scalar;
    private readonly int _ordinal;
    private bool _disposed;

    private GpuBackend(Context context, Accelerator accelerator, GpuDeviceKind kind, int ordinal)
    {
        _context = context;
        Accelerator = accelerator;
        Kind = kind;
        _ordinal = ordinal;
        Kernels = new GpuKernels(accelerator);
        _scalar = accelerator.Allocate1D<float>(1);
    }

    /// <summary>True where ILGPU can run: it generates kernels with Reflection.Emit, which Native AOT lacks.</summary>
    public static bool IsSupported => RuntimeFeature.IsDynamicCodeSupported;

    /// <summary>The ILGPU accelerator.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The kernel set loaded on <see cref="Accelerator"/>.</summary>
    public GpuKernels Kernels { get; }

    /// <summary>CUDA, OpenCL or the CPU emulator.</summary>
    public GpuDeviceKind Kind { get; }

    /// <inheritdoc />
    public Tensors.Device Device => new(DeviceKind.Gpu, _ordinal);

    /// <summary>The accelerator's name, e.g. "NVIDIA H200".</summary>
    public string Name => Accelerator.Name;

    /// <summary>
    /// Device allocations made so far (tensors, arena chunks, index tables); flat in a steady-state step.
    /// </summary>
    public long AllocationCount { get; private set; }

    /// <summary>Bytes of device memory allocated so far.</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Every accelerator ILGPU finds: CUDA and OpenCL devices first, then the CPU emulator.</summary>
    public static IReadOnlyList<GpuDeviceInfo> ListDevices()
    {
        EnsureSupported();
        var result = new List<GpuDeviceInfo>();
        using var context = Context.Create(b => b.Cuda().OpenCL().DefaultCPU());
        var ordinals = new Dictionary<GpuDeviceKind, int>();
        foreach (var device in context.Devices)
        {
            var kind = KindOf(device.AcceleratorType);
            if (kind is null) continue;
            int ordinal = ordinals.GetValueOrDefault(kind.Value);
            ordinals[kind.Value] = ordinal + 1;
            result.Add(new GpuDeviceInfo(kind.Value, ordinal, device.Name, device.MemorySize,
                device.MaxNumThreadsPerGroup, device.WarpSize));
        }
        result.Sort((x, y) => x.Kind.CompareTo(y.Kind));
        return result;
    }

    /// <summary>
    /// Parses "cuda", "cuda:1", "opencl", "opencl:0" or "cpu" (the ILGPU CPU emulator) and opens that device.
    /// </summary>
    public static GpuBackend Create(string device)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        string[] parts = device.Trim().ToLowerInvariant().Split(':');
        GpuDeviceKind kind = parts[0] switch
        {
            "cuda" => GpuDeviceKind.Cuda,
            "opencl" => GpuDeviceKind.OpenCL,
            "cpu" or "ilgpu-cpu" => GpuDeviceKind.Cpu,
            _ => throw new ArgumentException(
                $"GpuBackend: unknown device '{device}'; expected cuda[:N], opencl[:N] or cpu.", nameof(device)),
        };
        int ordinal = 0;
        if (parts.Length > 2 || (parts.Length == 2 && !int.TryParse(parts[1], out ordinal)) || ordinal < 0)
            throw new ArgumentException(
                $"GpuBackend: device '{device}' has a bad ordinal; expected e.g. cuda:0.", nameof(device));
        return Create(kind, ordinal);
    }

    /// <summary>
    /// Opens the <paramref name="ordinal"/>-th device of <paramref name="kind"/>; throws, listing what
    /// exists, when there is none.
    /// </summary>
    public static GpuBackend Create(GpuDeviceKind kind, int ordinal = 0)
    {
        EnsureSupported();
        var context = Context.Create(b =>
        {
            switch (kind)
            {
                case GpuDeviceKind.Cuda: b.Cuda(); break;
                case GpuDeviceKind.OpenCL: b.OpenCL(); break;
                default: b.DefaultCPU(); break;
            }
            b.EnableAlgorithms();
        });
        try
        {
            var matching = context.Devices.Where(d => KindOf(d.AcceleratorType) == kind).ToList();
            if (ordinal >= matching.Count)
                throw new InvalidOperationException(
                    $"GpuBackend: no {kind} device #{ordinal}; found {matching.Count} {kind} device(s). " +
                    (kind == GpuDeviceKind.Cuda ? "Is the NVIDIA driver installed and a GPU visible (nvidia-smi)?"
                        : "See GpuBackend.ListDevices()."));
            var accelerator = matching[ordinal].CreateAccelerator(context);
            return new GpuBackend(context, accelerator, kind, ordinal);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the first device of <paramref name="kind"/>, or returns false when there is none (never throws
    /// for a missing device).
    /// </summary>
    public static bool TryCreate(GpuDeviceKind kind, out GpuBackend? backend)
    {
        backend = null;
        if (!IsSupported) return false;
        try
        {
            backend = Create(kind);
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or DllNotFoundException
                                      or TypeInitializationException or ILGPU.Runtime.Cuda.CudaException)
        {
            return false;
        }
    }

    private static GpuDeviceKind? KindOf(AcceleratorType type) => type switch
    {
        AcceleratorType.Cuda => GpuDeviceKind.Cuda,
        AcceleratorType.OpenCL => GpuDeviceKind.OpenCL,
        AcceleratorType.CPU => GpuDeviceKind.Cpu,
        _ => null,
    };

    private static void EnsureSupported()
    {
        if (!IsSupported)
            throw new PlatformNotSupportedException("GpuBackend: ILGPU generates kernels at run time, which this " +
                "process (Native AOT) cannot do. Use the CPU backend, or a JIT build for the GPU.");
    }

    /// <summary>Waits until every launched kernel has finished.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var list in _indexCache.Values)
            foreach (var (_, buffer) in list) buffer.Dispose();
        _scalar.Dispose();
        Accelerator.Dispose();
        _context.Dispose();
    }

    // ---- memory ----

    /// <inheritdoc />
    public Tensor Allocate(Shape shape)
    {
        var buffer = (IlgpuBuffer)AllocateBuffer(Math.Max(shape.Size, 1));
        buffer.View.MemSetToZero();
        return new Tensor(buffer, 0, shape);
    }

    /// <inheritdoc />
    public DeviceBuffer AllocateBuffer(int floats)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var buffer = new IlgpuBuffer(this, Accelerator.Allocate1D<float>(Math.Max(floats, 1)));
        AllocationCount++;
        AllocatedBytes += 4L * buffer.Length;
        return buffer;
    }

    /// <inheritdoc />
    public void Upload(ReadOnlySpan<float> source, Tensor destination)
    {
        if (source.Length != destination.Size)
            throw new ArgumentException($"Upload: {source.Length} values for a tensor of shape {destination.Shape} " +
                $"({destination.Size} elements).");
        if (source.Length == 0) return;
        View(destination).CopyFromCPU(source);
    }

    /// <inheritdoc />
    public void Download(Tensor source, Span<float> destination)
    {
        if (destination.Length != source.Size)
            throw new ArgumentException($"Download: tensor of shape {source.Shape} ({source.Size} elements) into " +
                $"{destination.Length} floats.");
        if (destination.Length == 0) return;
        View(source).CopyToCPU(destination);
    }

    /// <inheritdoc />
    public void Fill(Tensor y, float value) => Kernels.Fill(View(y), value);

    /// <inheritdoc />
    public void Copy(Tensor src, Tensor dst) => Kernels.Copy(View(src), View(dst));

    /// <inheritdoc />
    public double SumOfSquares(Tensor x)
    {
        ArrayView<float> scalar = _scalar.View;
        Kernels.SumOfSquares(View(x), scalar);
        Span<float> result = stackalloc float[1];
        scalar.CopyToCPU(result);
        return result[0];
    }

    /// <inheritdoc />
    public void AdamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float gradScale, float b1, float b2, float stepSize,
        float invSqrtBc2, float eps, float decay) =>
        Kernels.Adam(View(p), View(g), View(m), View(v), gradScale, b1, b2, stepSize, invSqrtBc2, eps, decay);

    /// <summary>The elements of <paramref name="t"/> as an ILGPU view (the tensor must live on this backend).</summary>
    internal ArrayView<float> View(Tensor t)
    {
        if (t.Buffer is not IlgpuBuffer buffer || !ReferenceEquals(buffer.Owner, this))
            throw new ArgumentException($"GpuBackend: tensor {t.Shape}{(t.Name is null ? "" : " '" + t.Name + "'")} " +
                $"lives on {t.Device}, not on this {Kind} device; move it with Tensor.To(backend).");
        return buffer.View.SubView(t.Offset, t.Size);
    }

    private ArrayView<float> View(Tensor? t, int offset)
    {
        if (t is null) return default;
        var view = View(t);
        return view.SubView(offset, view.Length - offset);
    }

    private ArrayView<float> ViewOrEmpty(Tensor? t) => t is null ? default : View(t);

    /// <summary>
    /// Device copies of index tables (gather), keyed by content: a model gathers with the same few fixed tables
    /// every step, so each is uploaded once.
    /// </summary>
    private ArrayView<int> Indices(ReadOnlySpan<int> indices)
    {
        var hash = new HashCode();
        foreach (int i in indices) hash.Add(i);
        int key = hash.ToHashCode();
        if (!_indexCache.TryGetValue(key, out var list)) _indexCache[key] = list = [];
        foreach (var (values, buffer) in list)
            if (indices.SequenceEqual(values)) return ((ArrayView<int>)buffer.View).SubView(0, values.Length);
        var copy = indices.ToArray();
        var device = Accelerator.Allocate1D<int>(Math.Max(copy.Length, 1));
        AllocationCount++;
        AllocatedBytes += 4L * device.Length;
        ArrayView<int> view = device.View;
        if (copy.Length > 0) view.SubView(0, copy.Length).CopyFromCPU(copy.AsSpan());
        list.Add((copy, device));
        return view.SubView(0, copy.Length);
    }

    // ---- compute ----

    /// <inheritdoc />
    public void Unary(UnaryKind op, Tensor x, Tensor y, float p0, float p1) =>
        Kernels.Unary(op, View(x), View(y), p0, p1);

    /// <inheritdoc />
    public void UnaryBackward(UnaryKind op, Tensor x, Tensor y, Tensor dy, Tensor dx, float p0, float p1) =>
        Kernels.UnaryBackward(op, View(x), View(y), View(dy), View(dx), p0, p1);

    /// <inheritdoc />
    public void Activate(Activation kind, Tensor x, Tensor y) => Kernels.Activate(kind, View(x), View(y));

    /// <inheritdoc />
    public void ActivateBackward(Activation kind, Tensor x, Tensor dy, Tensor dx, bool accumulate = true) =>
        Kernels.ActivateBackward(kind, View(x), View(dy), View(dx), accumulate);

    /// <inheritdoc />
    public void Binary(BinaryKind op, Tensor a, Tensor b, Tensor y)
    {
        int rank = Math.Max(1, y.Rank);
        Span<int> yd = stackalloc int[rank], ad = stackalloc int[rank], bd = stackalloc int[rank];
        Align(y.Shape, yd);
        Align(a.Shape, ad);
        Align(b.Shape, bd);
        Kernels.Binary(op, View(a), ad, View(b), bd, View(y), yd);
    }

    /// <inheritdoc />
    public void SumToShape(Tensor src, Tensor dst, float scale)
    {
        int rank = Math.Max(1, src.Rank);
        Span<int> sd = stackalloc int[rank], dd = stackalloc int[rank];
        Align(src.Shape, sd);
        Align(dst.Shape, dd);
        Kernels.SumToShape(View(src), sd, View(dst), dd, scale);
    }

    /// <summary>
    /// Writes <paramref name="shape"/> right-aligned into <paramref name="dims"/>, padding with 1s on the left.
    /// </summary>
    private static void Align(Shape shape, Span<int> dims)
    {
        int pad = dims.Length - shape.Rank;
        for (int i = 0; i < dims.Length; i++) dims[i] = i < pad ? 1 : shape[i - pad];
    }

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc,
        Tensor? bias = null, Activation activation = Activation.Identity, Tensor? preActivation = null) =>
        Kernels.Gemm(transA, transB, m, n, k, alpha, View(a, aOffset), lda, View(b, bOffset),
            ldb, beta, View(c, cOffset), ldc,
            ViewOrEmpty(bias), activation, View(preActivation, cOffset));

    /// <inheritdoc />
    public void Reduce(ReduceKind kind, Tensor x, int axis, Tensor y, float scale) =>
        Kernels.Reduce(kind, View(x), View(y), x.Shape.Outer(axis), x.Shape[axis], x.Shape.Inner(axis), scale);

    /// <inheritdoc />
    public void ReduceBackward(ReduceKind kind, Tensor x, Tensor y, Tensor dy, int axis, Tensor dx,
        float scale, bool accumulate = true) =>
        Kernels.ReduceBackward(kind, View(x), View(y), View(dy), View(dx), x.Shape.Outer(axis), x.Shape[axis],
            x.Shape.Inner(axis), scale, accumulate);

    /// <inheritdoc />
    public void Softmax(Tensor x, int axis, Tensor y) =>
        Kernels.Softmax(View(x), View(y), x.Shape.Outer(axis), x.Shape[axis], x.Shape.Inner(axis));

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor y, Tensor dy, int axis, Tensor dx) =>
        Kernels.SoftmaxBackward(View(y), View(dy), View(dx), y.Shape.Outer(axis), y.Shape[axis], y.Shape.Inner(axis));

    /// <inheritdoc />
    public void Permute(Tensor x, ReadOnlySpan<int> permutation, Tensor y, bool accumulate)
    {
        Span<int> dims = stackalloc int[x.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = x.Shape[i];
        Kernels.Permute(View(x), dims, permutation, View(y), accumulate);
    }

    /// <inheritdoc />
    public void CopySlice(Tensor src, int axis, int srcStart, Tensor dst, int dstStart, int length, bool accumulate) =>
        Kernels.CopySlice(View(src), View(dst), src.Shape.Outer(axis), src.Shape[axis],
            dst.Shape[axis], src.Shape.Inner(axis),
            srcStart, dstStart, length, accumulate);

    /// <inheritdoc />
    public void Gather(Tensor x, int axis, ReadOnlySpan<int> indices, Tensor y) =>
        Kernels.Gather(View(x), Indices(indices), View(y), x.Shape.Outer(axis), x.Shape[axis],
            x.Shape.Inner(axis), indices.Length);

    /// <inheritdoc />
    public void GatherBackward(Tensor dy, int axis, ReadOnlySpan<int> indices, Tensor dx) =>
        Kernels.GatherBackward(View(dy), Indices(indices), View(dx), dx.Shape.Outer(axis), dx.Shape[axis],
            dx.Shape.Inner(axis), indices.Length);

    /// <inheritdoc />
    public void Where(Tensor mask, Tensor a, Tensor b, Tensor y) =>
        Kernels.Where(View(mask), View(a), View(b), View(y));

    /// <inheritdoc />
    public void WhereBackward(Tensor mask, Tensor dy, Tensor? da, Tensor? db) =>
        Kernels.WhereBackward(View(mask), View(dy), ViewOrEmpty(da), ViewOrEmpty(db));

    /// <inheritdoc />
    public void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, float epsilon, Tensor y, Tensor mean, Tensor rstd)
    {
        int cols = x.Shape[-1];
        Kernels.LayerNorm(View(x), ViewOrEmpty(gamma), ViewOrEmpty(beta), epsilon, View(y), View(mean), View(rstd),
            cols == 0 ? 0 : x.Size / cols, cols);
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor x, Tensor? gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor? dx,
        Tensor? dGamma, Tensor? dBeta)
    {
        int cols = x.Shape[-1];
        Kernels.LayerNormBackward(View(x), ViewOrEmpty(gamma), View(mean), View(rstd), View(dy), ViewOrEmpty(dx),
            ViewOrEmpty(dGamma), ViewOrEmpty(dBeta),
            cols == 0 ? 0 : x.Size / cols, cols);
    }

    /// <inheritdoc />
    public void AddScaled(Tensor src, Tensor dst, float scale) => Kernels.AddScaled(View(src), View(dst), scale);

    /// <inheritdoc />
    public void AffineCoupling(Tensor x, Tensor parameters, AffineScaleKind kind,
        bool inverse, Tensor y, Tensor logDet) =>
        Kernels.AffineCoupling(View(x), View(parameters), View(y), View(logDet), x.Shape[0], x.Shape[1], kind, inverse);

    /// <inheritdoc />
    public void AffineCouplingBackward(Tensor x, Tensor parameters, AffineScaleKind kind,
        bool inverse, Tensor? dy, Tensor? dLogDet,
        Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite) =>
        Kernels.AffineCouplingBackward(View(x), View(parameters), ViewOrEmpty(dy), ViewOrEmpty(dLogDet),
            ViewOrEmpty(dx), dxOverwrite, ViewOrEmpty(dParameters), dParametersOverwrite, x.Shape[0], x.Shape[1], kind,
            inverse);

    /// <inheritdoc />
    public void SplineCoupling(Tensor x, Tensor parameters, SplineCouplingOptions options, bool inverse, Tensor y,
        Tensor logDet) =>
        Kernels.SplineCoupling(View(x), View(parameters), View(y), View(logDet), x.Shape[0], x.Shape[1], options,
            inverse);

    /// <inheritdoc />
    public void SplineCouplingBackward(Tensor x, Tensor parameters,
        SplineCouplingOptions options, bool inverse, Tensor? dy,
        Tensor? dLogDet, Tensor? dx, bool dxOverwrite, Tensor? dParameters, bool dParametersOverwrite) =>
        Kernels.SplineCouplingBackward(View(x), View(parameters), ViewOrEmpty(dy), ViewOrEmpty(dLogDet),
            ViewOrEmpty(dx), dxOverwrite, ViewOrEmpty(dParameters), dParametersOverwrite, x.Shape[0], x.Shape[1],
            options, inverse);

    /// <summary>Device memory of this backend, viewed by tensors.</summary>
    private sealed class IlgpuBuffer(GpuBackend owner, MemoryBuffer1D<float, Stride1D.Dense> memory) : DeviceBuffer
    {
        public GpuBackend Owner { get; } = owner;

        public ArrayView<float> View => memory.View;

        public override IBackend Backend => Owner;

        public override int Length => (int)memory.Length;

        protected override void Dispose(bool disposing)
        {
            if (disposing) memory.Dispose();
        }
    }
}
