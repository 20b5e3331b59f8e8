using System.Diagnostics;
using System.Globalization;
using System.Text;
using Amortized.Tensors.Autodiff;
using Amortized.Tensors.Backends;

namespace Amortized.Tensors;

/// <summary>
/// A float32, row-major, contiguous tensor. Storage is a slice [Offset, Offset + Size) of a float array, so
/// parameters can be views into one contiguous store and activations slices of a per-step
/// <see cref="Workspace"/>. Ops record onto the active <see cref="Tape"/> when an input requires a gradient.
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

    /// <summary>The dimensions.</summary>
    public Shape Shape { get; private set; }

    /// <summary>Number of elements.</summary>
    public int Size { get; private set; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The device this tensor's storage lives on.</summary>
    public Device Device => Backend.Device;

    /// <summary>The backend that computes ops on this tensor.</summary>
    public IBackend Backend => CpuBackend.Instance;

    /// <summary>Backing array (shared with views and the workspace).</summary>
    internal float[] Data { get; private set; }

    /// <summary>Index of element 0 in <see cref="Data"/>.</summary>
    internal int Offset { get; private set; }

    /// <summary>When true, ops on this tensor are recorded on the active tape and <see cref="Grad"/> is filled by backward.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient d(loss)/d(this), same shape; null until a backward pass reaches it.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True for the output of a recorded op (an interior node), false for leaves.</summary>
    internal bool ProducedByTape { get; set; }

    /// <summary>Optional name (parameters carry their module path).</summary>
    public string? Name { get; set; }

    /// <summary>The elements, row-major.</summary>
    public Span<float> Span => Data.AsSpan(Offset, Size);

    /// <summary>Re-points a recycled workspace tensor at new storage.</summary>
    internal void Reset(float[] data, int offset, Shape shape)
    {
        Data = data;
        Offset = offset;
        Shape = shape;
        Size = shape.Size;
        RequiresGrad = false;
        ProducedByTape = false;
        Grad = null;
        Name = null;
    }

    /// <summary>Moves a persistent tensor (a parameter view) to new storage, keeping its identity and gradient link.</summary>
    internal void Rebind(float[] data, int offset)
    {
        Data = data;
        Offset = offset;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1) throw new InvalidOperationException($"Item: tensor of shape {Shape} has {Size} elements, expected 1.");
        return Data[Offset];
    }

    /// <summary>A copy of the elements.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>Element at a full index (slow; for tests and debugging).</summary>
    [System.Runtime.CompilerServices.IndexerName("Element")]
    public float this[params int[] index]
    {
        get => Data[Offset + FlatIndex(index)];
        set => Data[Offset + FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Index has {index.Length} components; tensor of shape {Shape} needs {Rank}.");
        int flat = 0;
        for (int i = 0; i < Rank; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i])
                throw new IndexOutOfRangeException($"Index {index[i]} out of range for dimension {i} of shape {Shape}.");
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
        var span = Span;
        for (int i = 0; i < show; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(span[i].ToString("G5", CultureInfo.InvariantCulture));
        }
        if (Size > show) sb.Append(", ...");
        return sb.Append(']').ToString();
    }

    // ---- creation ----

    /// <summary>An uninitialised tensor from the active workspace (or the heap when none is active).</summary>
    internal static Tensor Empty(Shape shape) => Workspace.Current?.Rent(shape, zero: false) ?? new Tensor(new float[shape.Size], 0, shape);

    /// <summary>A tensor of zeros (from the active workspace when there is one).</summary>
    public static Tensor Zeros(Shape shape) => Workspace.Current?.Rent(shape, zero: true) ?? new Tensor(new float[shape.Size], 0, shape);

    /// <summary>A tensor of zeros with the given dimensions.</summary>
    public static Tensor Zeros(params int[] dims) => Zeros(new Shape(dims));

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value)
    {
        var t = Empty(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(Shape shape) => Full(shape, 1f);

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(float value) => Full(Shape.Scalar, value);

    /// <summary>A tensor that copies <paramref name="values"/>, with the given dimensions.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] dims)
    {
        var shape = new Shape(dims);
        if (shape.Size != values.Length)
            throw new ArgumentException($"FromArray: {values.Length} values do not fill shape {shape} ({shape.Size} elements).", nameof(values));
        var t = new Tensor(new float[values.Length], 0, shape);
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>A tensor that wraps (does not copy) <paramref name="data"/>[offset .. offset + size).</summary>
    public static Tensor Wrap(float[] data, int offset, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (offset < 0 || offset + shape.Size > data.Length)
            throw new ArgumentException($"Wrap: shape {shape} at offset {offset} does not fit an array of {data.Length}.", nameof(data));
        return new Tensor(data, offset, shape);
    }

    /// <summary>Standard normal draws scaled by <paramref name="std"/>.</summary>
    public static Tensor RandomNormal(Shape shape, Rng rng, float mean = 0f, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Empty(shape);
        rng.FillNormal(t.Span, mean, std);
        return t;
    }

    /// <summary>Uniform draws on [low, high).</summary>
    public static Tensor RandomUniform(Shape shape, Rng rng, float low = 0f, float high = 1f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Empty(shape);
        rng.FillUniform(t.Span, low, high);
        return t;
    }

    /// <summary>A tensor that does not track gradients, sharing storage with this one.</summary>
    public Tensor Detach() => new(Data, Offset, Shape);

    /// <summary>A deep copy on the heap (not in the workspace), without gradient tracking.</summary>
    public Tensor Clone()
    {
        var t = new Tensor(new float[Size], 0, Shape);
        Span.CopyTo(t.Span);
        return t;
    }
}
