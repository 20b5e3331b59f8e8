namespace Amortized.Inference.Serialization;

/// <summary>
/// Element types a model file can hold, all little-endian. The names in the file are safetensors' dtype codes
/// (<c>F32</c>, <c>F64</c>, <c>I32</c>, <c>I64</c>), so Python's <c>safetensors</c> reads them unchanged.
/// </summary>
public enum TensorDType
{
    /// <summary>float32, safetensors code <c>F32</c>.</summary>
    Float32,
    /// <summary>float64, safetensors code <c>F64</c>.</summary>
    Float64,
    /// <summary>int32, safetensors code <c>I32</c>.</summary>
    Int32,
    /// <summary>int64, safetensors code <c>I64</c>.</summary>
    Int64,
}
