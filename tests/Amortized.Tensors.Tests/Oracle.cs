namespace Amortized.Tensors.Tests;

/// <summary>Naive index arithmetic for scalar oracles: row-major multi-indices and NumPy broadcasting.</summary>
internal static class Oracle
{
    /// <summary>The multi-index of a flat row-major position.</summary>
    public static int[] Unravel(int flat, int[] dims)
    {
        var index = new int[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            index[d] = flat % dims[d];
            flat /= dims[d];
        }
        return index;
    }

    /// <summary>The flat row-major position of a multi-index.</summary>
    public static int Ravel(int[] index, int[] dims)
    {
        int flat = 0;
        for (int d = 0; d < dims.Length; d++) flat = flat * dims[d] + index[d];
        return flat;
    }

    /// <summary>
    /// The flat position in a tensor of <paramref name="dims"/> that output index <paramref name="outIndex"/> reads
    /// under broadcasting.
    /// </summary>
    public static int BroadcastSource(int[] outIndex, int[] dims)
    {
        int lead = outIndex.Length - dims.Length;
        int flat = 0;
        for (int d = 0; d < dims.Length; d++) flat = flat * dims[d] + (dims[d] == 1 ? 0 : outIndex[lead + d]);
        return flat;
    }

    /// <summary>NumPy broadcast of two dimension lists (assumed compatible).</summary>
    public static int[] BroadcastDims(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            dims[i] = Math.Max(da, db);
        }
        return dims;
    }

    public static int Size(int[] dims)
    {
        int size = 1;
        foreach (int d in dims) size *= d;
        return size;
    }
}
