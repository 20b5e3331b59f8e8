using Amortized.Inference.Simulators;

namespace Amortized.Inference.FileFormats;

/// <summary>
/// A NumPy array in C order: its element type, shape and a typed .NET array (float[], double[], int[], long[]
/// or bool[]) holding the values exactly as stored.
/// </summary>
public sealed class NpyArray
{
    /// <summary>Wraps <paramref name="data"/>; its element type must match <paramref name="dtype"/>.</summary>
    public NpyArray(NpyDType dtype, int[] shape, Array data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        Type expected = ElementType(dtype);
        if (data.GetType().GetElementType() != expected)
            throw new ArgumentException(
                $"NpyArray: dtype {dtype} needs a {expected.Name}[]; got {data.GetType().Name}.", nameof(data));
        if (ShapeText.Product(shape) != data.Length)
            throw new ArgumentException($"NpyArray: shape {ShapeText.Format(shape)} holds {ShapeText.Product(shape)} " +
                $"values; data has {data.Length}.", nameof(data));
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>Element type.</summary>
    public NpyDType DType { get; }

    /// <summary>Shape (C order).</summary>
    public int[] Shape { get; }

    /// <summary>The values: float[], double[], int[], long[] or bool[].</summary>
    public Array Data { get; }

    /// <summary>Creates a float32 array.</summary>
    public static NpyArray FromFloats(float[] data, params int[] shape) => new(NpyDType.Float32, shape, data);

    /// <summary>The values converted to float32 (bool as 0/1).</summary>
    public float[] ToFloat32()
    {
        var result = new float[Data.Length];
        switch (Data)
        {
            case float[] f: f.CopyTo(result, 0); break;
            case double[] d: for (int i = 0; i < d.Length; i++) result[i] = (float)d[i]; break;
            case int[] n: for (int i = 0; i < n.Length; i++) result[i] = n[i]; break;
            case long[] l: for (int i = 0; i < l.Length; i++) result[i] = l[i]; break;
            case bool[] b: for (int i = 0; i < b.Length; i++) result[i] = b[i] ? 1 : 0; break;
        }
        return result;
    }

    /// <summary>
    /// The values as float32: <see cref="Data"/> itself when it is float[] (for readers that own this array and
    /// drop it, saving a copy of the largest arrays), else <see cref="ToFloat32"/>.
    /// </summary>
    internal float[] TakeFloat32() => Data as float[] ?? ToFloat32();

    internal static Type ElementType(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => typeof(float),
        NpyDType.Float64 => typeof(double),
        NpyDType.Int32 => typeof(int),
        NpyDType.Int64 => typeof(long),
        _ => typeof(bool),
    };

    internal static int ItemSize(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 or NpyDType.Int32 => 4,
        NpyDType.Float64 or NpyDType.Int64 => 8,
        _ => 1,
    };

    internal static string Descr(NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "<f4",
        NpyDType.Float64 => "<f8",
        NpyDType.Int32 => "<i4",
        NpyDType.Int64 => "<i8",
        _ => "|b1",
    };
}
