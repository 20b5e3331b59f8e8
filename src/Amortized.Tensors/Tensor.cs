using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Tensors;

/// <summary>
/// A float32, row-major, contiguous tensor. Storage is a slice [Offset, Offset + Size) of a float array on the
/// host, or of a <see cref="DeviceBuffer"/> on an accelerator, so parameters can be views into one contiguous
/// store and activations slices of a per-step <see cref="Workspace"/>. Ops run on the backend of their inputs and
/// record onto the active <see cref="Tape"/> when an input requires a gradient.
/// </summary>
/// <remarks>
/// Tensors rented from a workspace are recycled when the workspace is reset: do not keep them across steps.
/// </remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed partial class Tensor
{
    internal Tensor(float[] data, int offset, Shape shape)
    {
        Data = data;
        Offset = offset;
        Shape = shape;
        Size = shape.Size;
    }

    internal Tensor(DeviceBuffer buffer, int offset, Shape shape)
    {
        Data = [];
        Buffer = buffer;
        Offset = offset;
        Shape = shape;
        Size = shape.Size;
    }

    /// <summary>The dimensions.</summary>
    public Shape Shape { get; private set; }

    /// <summary>Number of elements.</summary>
    public int Size { get; private set; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The device this tensor's storage lives on.</summary>
    public Device Device => Backend.Device;

    /// <summary>The backend that computes ops on this tensor.</summary>
    public IBackend Backend => Buffer?.Backend ?? CpuBackend.Instance;

    /// <summary>True when the elements live in host memory (<see cref="Span"/> is usable).</summary>
    public bool IsOnHost => Buffer is null;

    /// <summary>Backing array of a host tensor (shared with views and the workspace); empty on a device.</summary>
    internal float[] Data { get; private set; }

    /// <summary>Backing device memory, or null for a host tensor.</summary>
    internal DeviceBuffer? Buffer { get; private set; }

    /// <summary>Index of element 0 in <see cref="Data"/> or <see cref="Buffer"/>.</summary>
    internal int Offset { get; private set; }

    /// <summary>
    /// When true, ops on this tensor are recorded on the active tape and <see cref="Grad"/> is filled by backward.
    /// </summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient d(loss)/d(this), same shape; null until a backward pass reaches it.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True for the output of a recorded op (an interior node), false for leaves.</summary>
    internal bool ProducedByTape { get; set; }

    /// <summary>Optional name (parameters carry their module path).</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The elements, row-major. Host tensors only: copy a device tensor with <see cref="ToArray"/> or
    /// <see cref="ToHost"/>.
    /// </summary>
    public Span<float> Span => Buffer is null
        ? Data.AsSpan(Offset, Size)
        : throw new InvalidOperationException($"Tensor{Shape}{(Name is null ? "" : " '" + Name + "'")} lives on " +
            $"{Device}; its elements are not addressable from the host. Use ToArray() or ToHost().");

    /// <summary>Re-points a recycled workspace tensor at new storage.</summary>
    internal void Reset(float[] data, DeviceBuffer? buffer, int offset, Shape shape)
    {
        Data = data;
        Buffer = buffer;
        Offset = offset;
        Shape = shape;
        Size = shape.Size;
        RequiresGrad = false;
        ProducedByTape = false;
        Grad = null;
        Name = null;
    }

    /// <summary>
    /// Moves a persistent tensor (a parameter view) to new storage, keeping its identity and gradient link.
    /// </summary>
    internal void Rebind(float[] data, int offset)
    {
        Data = data;
        Buffer = null;
        Offset = offset;
    }

    /// <summary>Moves a persistent tensor to device storage, keeping its identity and gradient link.</summary>
    internal void Rebind(DeviceBuffer buffer, int offset)
    {
        Data = [];
        Buffer = buffer;
        Offset = offset;
    }

    /// <summary>Index of element 0 in this tensor's storage (host array or device buffer).</summary>
    /// <remarks>
    /// With <see cref="Rebind(Tensor, int)"/>, what a flat store of views needs to move or grow its block.
    /// </remarks>
    public int StorageOffset => Offset;

    /// <summary>
    /// Whether this is a host tensor whose storage is <paramref name="array"/> (a view made by <see cref="Wrap"/>).
    /// </summary>
    /// <remarks>Caches of wrapped views use it to notice that the array behind them was replaced.</remarks>
    public bool IsViewOf(float[] array) => Buffer is null && ReferenceEquals(Data, array);

    /// <summary>
    /// Moves this persistent tensor (keeping its identity, shape and gradient link) to <paramref name="storage"/>'s
    /// storage, host array or device buffer alike, starting <paramref name="offset"/> elements past storage's
    /// element 0.
    /// For flat stores that keep many views in one block and grow it or move it between devices (Networks'
    /// ParameterStore); later ops read and write the new storage.
    /// </summary>
    public void Rebind(Tensor storage, int offset)
    {
        ArgumentNullException.ThrowIfNull(storage);
        if (offset < 0 || offset + Size > storage.Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset,
                $"Rebind: {Size} elements at {offset} do not fit in a storage tensor of {storage.Size}.");
        }
        if (storage.Buffer is null) Rebind(storage.Data, storage.Offset + offset);
        else Rebind(storage.Buffer, storage.Offset + offset);
    }

    /// <summary>A tensor object viewing the same storage with another shape of the same size.</summary>
    internal Tensor View(Shape shape) => Buffer is null
        ? Workspace.Current?.RentView(Data, null, Offset, shape) ?? new Tensor(Data, Offset, shape)
        : Workspace.Current?.RentView(Data, Buffer, Offset, shape) ?? new Tensor(Buffer, Offset, shape);

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1)
            throw new InvalidOperationException($"Item: tensor of shape {Shape} has {Size} elements, expected 1.");
        if (Buffer is null) return Data[Offset];
        Span<float> one = stackalloc float[1];
        Backend.Download(this, one);
        return one[0];
    }

    /// <summary>
    /// The element at row-major position <paramref name="flatIndex"/> (one 4-byte download for a device tensor).
    /// </summary>
    public float ReadAt(int flatIndex)
    {
        if ((uint)flatIndex >= (uint)Size)
            throw new IndexOutOfRangeException(
                $"ReadAt: index {flatIndex} is out of range for a tensor of shape {Shape} ({Size} elements).");
        if (Buffer is null) return Data[Offset + flatIndex];
        Span<float> one = stackalloc float[1];
        Backend.Download(new Tensor(Buffer, Offset + flatIndex, new Shape(1)), one);
        return one[0];
    }

    /// <summary>A copy of the elements (downloaded from the device for a device tensor).</summary>
    public float[] ToArray()
    {
        if (Buffer is null) return Span.ToArray();
        var result = new float[Size];
        Backend.Download(this, result);
        return result;
    }

    /// <summary>
    /// This tensor on <paramref name="backend"/>'s device: itself when already there, else a copy
    /// (no gradient tracking).
    /// </summary>
    public Tensor To(IBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (ReferenceEquals(backend, Backend)) return this;
        if (backend is CpuBackend) return new Tensor(ToArray(), 0, Shape);
        var t = backend.Allocate(Shape);
        if (Buffer is null) backend.Upload(Span, t);
        else backend.Upload(ToArray(), t);
        return t;
    }

    /// <summary>This tensor in host memory (itself when already there).</summary>
    public Tensor ToHost() => To(CpuBackend.Instance);

    /// <summary>Element at a full index (slow; for tests and debugging).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => ReadAt(FlatIndex(index));
        set => Span[FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Index has {index.Length} components; tensor of shape {Shape} needs {Rank}.");
        int flat = 0;
        for (int i = 0; i < Rank; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i])
                throw new IndexOutOfRangeException(
                    $"Index {index[i]} out of range for dimension {i} of shape {Shape}.");
            flat = flat * Shape[i] + index[i];
        }
        return flat;
    }

    /// <summary>Shape, device and the first few values.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(Shape.ToString()).Append(' ').Append(Device.ToString());
        if (Name is not null) sb.Append(" '").Append(Name).Append('\'');
        sb.Append(" [");
        int show = Math.Min(Size, 8);
        ReadOnlySpan<float> span = Buffer is null ? Span : ToArray();
        for (int i = 0; i < show; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(span[i].ToString("G5", CultureInfo.InvariantCulture));
        }
        if (Size > show) sb.Append(", ...");
        return sb.Append(']').ToString();
    }

    // ---- creation ----

    /// <summary>
    /// An uninitialised tensor on the ambient device (<see cref="BackendScope"/>), from the active workspace (or the
    /// heap when none is active).
    /// </summary>
    internal static Tensor Empty(Shape shape) => EmptyOn(BackendScope.Current, shape);

    /// <summary>
    /// An uninitialised tensor on the same device as <paramref name="like"/> (op outputs and gradients).
    /// </summary>
    internal static Tensor EmptyLike(Tensor like, Shape shape) => EmptyOn(like.Backend, shape);

    /// <summary>A tensor of zeros on the same device as <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like, Shape shape) => ZerosOn(like.Backend, shape);

    /// <summary>Throws when two inputs of one op live on different devices.</summary>
    internal static void CheckSameDevice(string op, Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Backend, b.Backend))
            throw new ArgumentException($"{op}: inputs live on different devices: {a.Shape} on {a.Device} and " +
                $"{b.Shape} on {b.Device}. Move one with Tensor.To(backend).");
    }

    /// <summary>A tensor filled with <paramref name="value"/> on the same device as <paramref name="like"/>.</summary>
    public static Tensor FullLike(Tensor like, Shape shape, float value)
    {
        var t = EmptyLike(like, shape);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>
    /// An uninitialised tensor on <paramref name="backend"/>'s device, from the active workspace when there is one.
    /// </summary>
    internal static Tensor EmptyOn(IBackend backend, Shape shape)
    {
        if (backend is CpuBackend)
            return Workspace.Current?.Rent(shape, zero: false) ?? new Tensor(new float[shape.Size], 0, shape);
        return Workspace.Current?.RentOn(backend, shape) ?? backend.Allocate(shape);
    }

    /// <summary>
    /// A tensor of zeros on <paramref name="backend"/>'s device, from the active workspace when there is one.
    /// </summary>
    private static Tensor ZerosOn(IBackend backend, Shape shape)
    {
        // Host: the workspace clears what it rents and a fresh array is zero already; a device fills.
        if (backend is CpuBackend)
            return Workspace.Current?.Rent(shape, zero: true) ?? new Tensor(new float[shape.Size], 0, shape);
        var t = EmptyOn(backend, shape);
        backend.Fill(t, 0f);
        return t;
    }

    /// <summary>A tensor of zeros on the ambient device (from the active workspace when there is one).</summary>
    public static Tensor Zeros(Shape shape) => ZerosOn(BackendScope.Current, shape);

    /// <summary>A tensor of zeros with the given dimensions.</summary>
    public static Tensor Zeros(params int[] dims) => Zeros(new Shape(dims));

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value)
    {
        var t = Empty(shape);
        t.Backend.Fill(t, value);
        return t;
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(Shape shape) => Full(shape, 1f);

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value) => Full(Shape.Scalar, value);

    /// <summary>
    /// A tensor that copies <paramref name="values"/>, with the given dimensions, on the ambient device.
    /// </summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] dims) => FromArray(values, new Shape(dims));

    /// <summary>A tensor that copies <paramref name="values"/>, with the given shape, on the ambient device.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, Shape shape)
    {
        if (shape.Size != values.Length)
            throw new ArgumentException($"FromArray: {values.Length} values do not fill shape {shape} " +
                $"({shape.Size} elements).", nameof(values));
        var backend = BackendScope.Current;
        if (backend is not CpuBackend)
        {
            var d = backend.Allocate(shape);
            backend.Upload(values, d);
            return d;
        }
        var t = new Tensor(new float[values.Length], 0, shape);
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>
    /// Per-step data: a copy of host <paramref name="values"/> on the ambient device (<see cref="BackendScope"/>),
    /// taken from the active workspace when there is one, so uploading a batch every step allocates no memory on
    /// either side. Like every workspace tensor it is invalid after the workspace resets; use
    /// <c>FromArray</c> for tensors that must outlive the step.
    /// </summary>
    public static Tensor Upload(ReadOnlySpan<float> values, Shape shape)
    {
        if (shape.Size != values.Length)
            throw new ArgumentException($"Upload: {values.Length} values do not fill shape {shape} " +
                $"({shape.Size} elements).", nameof(values));
        var t = EmptyOn(BackendScope.Current, shape);
        t.Backend.Upload(values, t);
        return t;
    }

    /// <summary>A tensor that wraps (does not copy) <paramref name="data"/>[offset .. offset + size).</summary>
    public static Tensor Wrap(float[] data, int offset, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (offset < 0 || offset + shape.Size > data.Length)
            throw new ArgumentException(
                $"Wrap: shape {shape} at offset {offset} does not fit an array of {data.Length}.", nameof(data));
        return new Tensor(data, offset, shape);
    }

    /// <summary>Standard normal draws scaled by <paramref name="std"/>.</summary>
    public static Tensor RandomNormal(Shape shape, Rng rng, float mean = 0f, float std = 1f) =>
        Random(shape, rng, normal: true, mean, std);

    /// <summary>Uniform draws on [low, high).</summary>
    public static Tensor RandomUniform(Shape shape, Rng rng, float low = 0f, float high = 1f) =>
        Random(shape, rng, normal: false, low, high);

    /// <summary>
    /// Normal (a = mean, b = std) or uniform (a = low, b = high) draws on the ambient device. They always come from
    /// the host generator, so a seed gives the same numbers on every device; an accelerator gets them by one upload.
    /// </summary>
    private static Tensor Random(Shape shape, Rng rng, bool normal, float a, float b)
    {
        ArgumentNullException.ThrowIfNull(rng);
        bool onHost = BackendScope.Current is CpuBackend;
        float[]? pooled = onHost ? null : System.Buffers.ArrayPool<float>.Shared.Rent(shape.Size);
        var target = onHost ? Empty(shape) : null;
        Span<float> values = onHost ? target!.Span : pooled.AsSpan(0, shape.Size);
        if (normal) rng.FillNormal(values, a, b);
        else rng.FillUniform(values, a, b);
        if (onHost) return target!;
        var uploaded = Upload(values, shape);
        System.Buffers.ArrayPool<float>.Shared.Return(pooled!);
        return uploaded;
    }

    /// <summary>A tensor that does not track gradients, sharing storage with this one.</summary>
    public Tensor Detach() => Buffer is null ? new(Data, Offset, Shape) : new(Buffer, Offset, Shape);

    /// <summary>A deep copy on the heap (not in the workspace) of the same device, without gradient tracking.</summary>
    public Tensor Clone()
    {
        if (Buffer is not null)
        {
            var d = Backend.Allocate(Shape);
            Backend.Copy(this, d);
            return d;
        }
        var t = new Tensor(new float[Size], 0, Shape);
        Span.CopyTo(t.Span);
        return t;
    }
}
