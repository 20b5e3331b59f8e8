namespace Amortized.Inference.FileFormats;

/// <summary>Element types of the NumPy files we read and write.</summary>
public enum NpyDType
{
    /// <summary>&lt;f4</summary>
    Float32,
    /// <summary>&lt;f8</summary>
    Float64,
    /// <summary>&lt;i4</summary>
    Int32,
    /// <summary>&lt;i8</summary>
    Int64,
    /// <summary>|b1</summary>
    Bool,
}
