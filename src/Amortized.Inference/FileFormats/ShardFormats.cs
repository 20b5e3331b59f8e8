namespace Amortized.Inference.FileFormats;

/// <summary>
/// The shard formats a manifest-free folder is read with. The built-in ones (npz, npy groups) are always present;
/// others (Parquet, in its own assembly) are added by <see cref="Register"/>, explicitly, so no reflection is needed
/// and trimming keeps what is used.
/// </summary>
public static class ShardFormats
{
    private static readonly object Gate = new();
    private static IShardFormat[] _registered = [];

    /// <summary>Adds <paramref name="format"/> (once per name; a second registration of the same name is ignored).</summary>
    public static void Register(IShardFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        lock (Gate)
        {
            if (_registered.Any(f => f.Name == format.Name)) return;
            _registered = [.. _registered, format];
        }
    }

    /// <summary>The registered formats, in registration order (built-in ones are added by the dataset reader).</summary>
    public static IReadOnlyList<IShardFormat> Registered => Volatile.Read(ref _registered);
}
