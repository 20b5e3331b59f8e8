using System.Runtime.CompilerServices;
using System.Text;

namespace Amortized.Tensors;

/// <summary>
/// The dimensions of a row-major tensor, rank 0 to <see cref="MaxRank"/>. A value type with inline storage so
/// that creating shapes in a training step allocates nothing.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    /// <summary>Largest supported rank.</summary>
    public const int MaxRank = 6;

    [InlineArray(MaxRank)]
    private struct Dims
    {
        private int _element0;
    }

    private readonly Dims _dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank { get; }

    /// <summary>Creates a shape from its dimensions.</summary>
    public Shape(params ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentException($"Shape: rank {dims.Length} exceeds the maximum rank {MaxRank}.", nameof(dims));
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
                throw new ArgumentException(
                    $"Shape: dimension {i} is {dims[i]}; dimensions must be >= 0.", nameof(dims));
            _dims[i] = dims[i];
        }
        Rank = dims.Length;
    }

    /// <summary>The scalar shape ().</summary>
    public static Shape Scalar => default;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => _dims[NormalizeAxis(axis)];

    /// <summary>Total number of elements (1 for a scalar).</summary>
    public int Size
    {
        get
        {
            int size = 1;
            for (int i = 0; i < Rank; i++) size *= _dims[i];
            return size;
        }
    }

    /// <summary>The dimensions as a new array (for display and tests; allocates).</summary>
    public int[] ToArray()
    {
        var result = new int[Rank];
        for (int i = 0; i < Rank; i++) result[i] = _dims[i];
        return result;
    }

    /// <summary>Maps a possibly negative axis to 0..Rank-1, or throws naming the shape.</summary>
    public int NormalizeAxis(int axis)
    {
        int a = axis < 0 ? axis + Rank : axis;
        if ((uint)a >= (uint)Rank) ThrowAxis(axis);
        return a;
    }

    private void ThrowAxis(int axis) =>
        throw new ArgumentOutOfRangeException(nameof(axis),
            $"Axis {axis} is out of range for a tensor of shape {this}.");

    /// <summary>Product of the dimensions before <paramref name="axis"/>.</summary>
    public int Outer(int axis)
    {
        int size = 1;
        for (int i = 0; i < axis; i++) size *= _dims[i];
        return size;
    }

    /// <summary>Product of the dimensions after <paramref name="axis"/>.</summary>
    public int Inner(int axis)
    {
        int size = 1;
        for (int i = axis + 1; i < Rank; i++) size *= _dims[i];
        return size;
    }

    /// <summary>This shape with dimension <paramref name="axis"/> replaced by <paramref name="size"/>.</summary>
    public Shape With(int axis, int size)
    {
        Span<int> d = stackalloc int[MaxRank];
        for (int i = 0; i < Rank; i++) d[i] = _dims[i];
        d[NormalizeAxis(axis)] = size;
        return new Shape(d[..Rank]);
    }

    /// <summary>This shape without dimension <paramref name="axis"/>.</summary>
    public Shape Without(int axis)
    {
        axis = NormalizeAxis(axis);
        Span<int> d = stackalloc int[MaxRank];
        int r = 0;
        for (int i = 0; i < Rank; i++) if (i != axis) d[r++] = _dims[i];
        return new Shape(d[..r]);
    }

    /// <summary>Copies the dimensions into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<int> destination)
    {
        for (int i = 0; i < Rank; i++) destination[i] = _dims[i];
    }

    /// <summary>The NumPy broadcast of two shapes, or throws naming both.</summary>
    public static Shape Broadcast(Shape a, Shape b, string op)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        Span<int> d = stackalloc int[MaxRank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a._dims[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b._dims[i - (rank - b.Rank)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException(
                    $"{op}: shapes {a} and {b} cannot be broadcast (dimension {i}: {da} vs {db}).");
            d[i] = da == 1 ? db : da;
        }
        return new Shape(d[..rank]);
    }

    /// <inheritdoc />
    public bool Equals(Shape other)
    {
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++) if (_dims[i] != other._dims[i]) return false;
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        for (int i = 0; i < Rank; i++) h.Add(_dims[i]);
        return h.ToHashCode();
    }

    /// <summary>Equality of dimensions.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Inequality of dimensions.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Formats as (d0, d1, ...).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder("(");
        for (int i = 0; i < Rank; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(_dims[i]);
        }
        if (Rank == 1) sb.Append(',');
        return sb.Append(')').ToString();
    }
}
