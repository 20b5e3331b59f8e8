using System.Text;

namespace Amortized.Native.Tests;

/// <summary>
/// Calls the exports through unmanaged function pointers, exactly as C would (managed code may not call an
/// UnmanagedCallersOnly method directly), so these tests cover the real boundary: argument checks, the
/// try/catch around each entry point, handles and the thread-local last error.
/// </summary>
internal static unsafe class Api
{
    public const int Ok = 0, NullArgument = -1, InvalidArgument = -2, Shape = -3, BufferTooSmall = -4, Io = -5,
        Format = -6, InvalidHandle = -7;

    public static int Load(string? path, out nint model) => LoadWithShapes(path, null, out model);

    public static int LoadWithShapes(string? path, string? shapes, out nint model)
    {
        nint m = -1;
        fixed (byte* p = Utf8(path))
        fixed (byte* s = Utf8(shapes))
        {
            int rc = shapes is null
                ? ((delegate* unmanaged<byte*, nint*, int>)&Exports.Load)(p, &m)
                : ((delegate* unmanaged<byte*, byte*, nint*, int>)&Exports.LoadWithShapes)(p, s, &m);
            model = m;
            return rc;
        }
    }

    /// <summary>amortized_load_signed; <paramref name="keyLength"/> defaults to the key's length.</summary>
    public static int LoadSigned(string? path, string? shapes, byte[]? key, out nint model, long? keyLength = null)
    {
        nint m = -1;
        fixed (byte* p = Utf8(path))
        fixed (byte* s = Utf8(shapes))
        fixed (byte* k = key)
        {
            int rc = ((delegate* unmanaged<byte*, byte*, byte*, nuint, nint*, int>)&Exports.LoadSigned)(
                p, s, key is null ? null : k, (nuint)(keyLength ?? key?.Length ?? 0), &m);
            model = m;
            return rc;
        }
    }

    public static int LoadNullOut(string path)
    {
        fixed (byte* p = Utf8(path)) return ((delegate* unmanaged<byte*, nint*, int>)&Exports.Load)(p, null);
    }

    public static nint LoadOrThrow(string path, string? shapes = null)
    {
        int rc = LoadWithShapes(path, shapes, out nint model);
        if (rc != Ok) throw new InvalidOperationException($"load '{path}' failed: {rc} {LastError()}");
        return model;
    }

    public static int Free(nint model) => ((delegate* unmanaged<nint, int>)&Exports.Free)(model);

    public static string LastError() => LastError(4096, out _);

    public static string LastError(int capacity, out int rc)
    {
        var buffer = new byte[Math.Max(capacity, 1)];
        fixed (byte* b = buffer) rc = ((delegate* unmanaged<byte*, nuint, int>)&Exports.GetLastError)(capacity == 0 ? null : b, (nuint)capacity);
        int n = Array.IndexOf(buffer, (byte)0);
        return Encoding.UTF8.GetString(buffer, 0, n < 0 ? buffer.Length : n);
    }

    public static int InfoJson(nint model, byte[]? buffer, int capacity, out nuint required)
    {
        nuint r = 0;
        fixed (byte* b = buffer)
        {
            int rc = ((delegate* unmanaged<nint, byte*, nuint, nuint*, int>)&Exports.InfoJson)(model, b, (nuint)capacity, &r);
            required = r;
            return rc;
        }
    }

    public static string InfoJson(nint model)
    {
        InfoJson(model, null, 0, out nuint required);
        var buffer = new byte[(int)required];
        int rc = InfoJson(model, buffer, buffer.Length, out _);
        if (rc != Ok) throw new InvalidOperationException($"info_json failed: {rc} {LastError()}");
        return Encoding.UTF8.GetString(buffer, 0, buffer.Length - 1);
    }

    public static int ParameterDim(nint model, out long dim)
    {
        long d = -1;
        int rc = ((delegate* unmanaged<nint, long*, int>)&Exports.ParameterDim)(model, &d);
        dim = d;
        return rc;
    }

    public static int ObservationSize(nint model, out long size)
    {
        long s = -1;
        int rc = ((delegate* unmanaged<nint, long*, int>)&Exports.ObservationSize)(model, &s);
        size = s;
        return rc;
    }

    public static int ParameterDimNullOut(nint model) => ((delegate* unmanaged<nint, long*, int>)&Exports.ParameterDim)(model, null);

    /// <summary>amortized_sample; <paramref name="observationsCount"/> defaults to the array's length.</summary>
    public static int Sample(nint model, float[]? observations, long datasets, long samples, ulong seed, float[]? draws,
        long? observationsCount = null, long? outCapacity = null)
    {
        fixed (float* o = observations)
        fixed (float* d = draws)
            return ((delegate* unmanaged<nint, float*, nuint, long, long, ulong, float*, nuint, int>)&Exports.Sample)(
                model, o, (nuint)(observationsCount ?? observations?.Length ?? 0), datasets, samples, seed, d,
                (nuint)(outCapacity ?? draws?.Length ?? 0));
    }

    public static int LogProb(nint model, float[]? observations, float[]? parameters, long datasets, float[]? output,
        long? parametersCount = null)
    {
        fixed (float* o = observations)
        fixed (float* p = parameters)
        fixed (float* r = output)
            return ((delegate* unmanaged<nint, float*, nuint, float*, nuint, long, float*, nuint, int>)&Exports.LogProb)(
                model, o, (nuint)(observations?.Length ?? 0), p, (nuint)(parametersCount ?? parameters?.Length ?? 0), datasets, r,
                (nuint)(output?.Length ?? 0));
    }

    public static string Version() => Marshal(((delegate* unmanaged<byte*>)&Exports.Version)());

    public static string StatusName(int status) => Marshal(((delegate* unmanaged<int, byte*>)&Exports.StatusName)(status));

    private static string Marshal(byte* text) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)text)!;

    /// <summary>NUL-terminated UTF-8, or null (a NULL pointer under fixed).</summary>
    private static byte[]? Utf8(string? text) => text is null ? null : Encoding.UTF8.GetBytes(text + "\0");
}
