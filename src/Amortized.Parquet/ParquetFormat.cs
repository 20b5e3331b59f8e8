using Amortized.Inference.FileFormats;

namespace Amortized.Parquet;

/// <summary>Registration of the Parquet format for dataset folders.</summary>
public static class ParquetFormat
{
    /// <summary>
    /// Adds <see cref="ParquetShardFormat"/> to <see cref="ShardFormats"/>, so that a manifest-free dataset folder of
    /// <c>.parquet</c> files reads as one data set. Idempotent; call once at startup.
    /// </summary>
    public static void Register() => ShardFormats.Register(ParquetShardFormat.Instance);
}
