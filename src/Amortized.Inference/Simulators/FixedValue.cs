namespace Amortized.Inference.Simulators;

/// <summary>A value shared by every row, e.g. a fixed design or a parameter held constant.</summary>
public sealed class FixedValue
{
    /// <summary>A value of the given per-row shape (empty shape: a scalar).</summary>
    public FixedValue(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        if (ShapeText.Product(shape) != data.Length)
            throw new ArgumentException($"FixedValue: shape {ShapeText.Format(shape)} holds " +
                $"{ShapeText.Product(shape)} values, but {data.Length} were given.", nameof(data));
        Data = data;
        Shape = shape;
    }

    /// <summary>Flat C-order values of one row.</summary>
    public float[] Data { get; }

    /// <summary>Per-row shape (no batch axis).</summary>
    public int[] Shape { get; }

    /// <summary>A scalar.</summary>
    public static implicit operator FixedValue(float value) => new([value]);

    /// <summary>A vector.</summary>
    public static implicit operator FixedValue(float[] values) => new(values, values.Length);
}
