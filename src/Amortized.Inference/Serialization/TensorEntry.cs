using System.Diagnostics;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Serialization;

/// <summary>
/// One named tensor of a model file: element type, shape (C order) and a typed .NET array holding the values
/// (float[], double[], int[] or long[], matching <see cref="DType"/>). A scalar has the empty shape and one value.
/// </summary>
/// <remarks>The values array is wrapped, not copied, so saving large weights costs no extra memory.</remarks>
[DebuggerDisplay("{ToString(),nq}")]
public sealed class TensorEntry
{
    /// <summary>Wraps <paramref name="values"/>; its element type must match <paramref name="dtype"/> and its
    /// length the product of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">A negative dimension, a wrong element type or a length mismatch.</exception>
    public TensorEntry(TensorDType dtype, int[] shape, Array values)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        Type expected = ArrayType(dtype);
        if (values.GetType() != expected) // exact: the CLR would also let a uint[] pass as an int[]
            throw new ArgumentException(
                $"TensorEntry: dtype {dtype} needs a {expected.Name}; got {values.GetType().Name}.", nameof(values));
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"TensorEntry: shape {ShapeText.Format(shape)} has a negative dimension.",
                    nameof(shape));
            count = Math.Min(count * d, (long)int.MaxValue + 1); // saturate: any count above int range mismatches
        }
        if (count != values.Length)
            throw new ArgumentException(
                $"TensorEntry: shape {ShapeText.Format(shape)} holds {count} values; the array has {values.Length}.",
                nameof(values));
        DType = dtype;
        Shape = (int[])shape.Clone();
        Values = values;
    }

    /// <summary>Element type.</summary>
    public TensorDType DType { get; }

    /// <summary>Shape in C order (a copy made at construction; the empty array for a scalar).</summary>
    public int[] Shape { get; }

    /// <summary>The values: float[], double[], int[] or long[], as <see cref="DType"/> says.</summary>
    public Array Values { get; }

    /// <summary>A float32 tensor.</summary>
    public static TensorEntry Float32(float[] values, params int[] shape) => new(TensorDType.Float32, shape, values);

    /// <summary>A float64 tensor.</summary>
    public static TensorEntry Float64(double[] values, params int[] shape) => new(TensorDType.Float64, shape, values);

    /// <summary>An int32 tensor.</summary>
    public static TensorEntry Int32(int[] values, params int[] shape) => new(TensorDType.Int32, shape, values);

    /// <summary>An int64 tensor.</summary>
    public static TensorEntry Int64(long[] values, params int[] shape) => new(TensorDType.Int64, shape, values);

    /// <summary>The float32 values; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public float[] AsFloat32() => Values as float[] ?? throw WrongType(TensorDType.Float32);

    /// <summary>The float64 values; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public double[] AsFloat64() => Values as double[] ?? throw WrongType(TensorDType.Float64);

    /// <summary>The int32 values; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public int[] AsInt32() => Values as int[] ?? throw WrongType(TensorDType.Int32);

    /// <summary>The int64 values; throws <see cref="InvalidOperationException"/> for another dtype.</summary>
    public long[] AsInt64() => Values as long[] ?? throw WrongType(TensorDType.Int64);

    /// <summary>For example <c>F32 (64, 3)</c>.</summary>
    public override string ToString() => $"{Code(DType)} {ShapeText.Format(Shape)}";

    private InvalidOperationException WrongType(TensorDType wanted) =>
        new($"TensorEntry: the tensor is {Code(DType)}, not {Code(wanted)}.");

    private static Type ArrayType(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => typeof(float[]),
        TensorDType.Float64 => typeof(double[]),
        TensorDType.Int32 => typeof(int[]),
        TensorDType.Int64 => typeof(long[]),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown TensorDType."),
    };

    internal static int ItemSize(TensorDType dtype) => dtype is TensorDType.Float32 or TensorDType.Int32 ? 4 : 8;

    /// <summary>The safetensors dtype code.</summary>
    internal static string Code(TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "F32",
        TensorDType.Float64 => "F64",
        TensorDType.Int32 => "I32",
        _ => "I64",
    };

    internal static bool TryParseCode(string code, out TensorDType dtype)
    {
        switch (code)
        {
            case "F32": dtype = TensorDType.Float32; return true;
            case "F64": dtype = TensorDType.Float64; return true;
            case "I32": dtype = TensorDType.Int32; return true;
            case "I64": dtype = TensorDType.Int64; return true;
            default: dtype = default; return false;
        }
    }
}
