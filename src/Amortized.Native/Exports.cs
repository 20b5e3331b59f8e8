using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Amortized.Inference.Serialization;

namespace Amortized.Native;

/// <summary>
/// The C entry points of amortized.h. Each one validates its pointers and counts, runs inside a try/catch that
/// turns every exception into a status code plus this thread's last-error message (an exception escaping an
/// UnmanagedCallersOnly method would abort the host process), and clears the message on success.
/// Model handles are entries of <see cref="Handles"/>, a table with a generation per slot, so the model stays alive
/// until amortized_free and a freed or stale handle is refused rather than reaching another model.
/// </summary>
internal static unsafe class Exports
{
    // Static, NUL-terminated and never freed: amortized_version's contract. Allocated natively so the pointer
    // stays valid without pinning; built lazily inside a try so a failure cannot escape the entry point.
    private static nint s_version;

    [UnmanagedCallersOnly(EntryPoint = "amortized_version")]
    public static byte* Version()
    {
        try
        {
            if (Volatile.Read(ref s_version) == 0)
            {
                byte* text = AllocUtf8(Inference.Serialization.ModelFile.LibraryVersion);
                // A racing thread may have won; its copy is kept and this one freed, so callers never see two.
                if (Interlocked.CompareExchange(ref s_version, (nint)text, 0) != 0) NativeMemory.Free(text);
            }
            return (byte*)Volatile.Read(ref s_version);
        }
        catch
        {
            return Static("unknown\0"u8);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_status_name")]
    public static byte* StatusName(int status) => status switch
    {
        (int)Status.Ok => Static("AMZ_OK\0"u8),
        (int)Status.NullArgument => Static("AMZ_ERR_NULL_ARGUMENT\0"u8),
        (int)Status.InvalidArgument => Static("AMZ_ERR_INVALID_ARGUMENT\0"u8),
        (int)Status.Shape => Static("AMZ_ERR_SHAPE\0"u8),
        (int)Status.BufferTooSmall => Static("AMZ_ERR_BUFFER_TOO_SMALL\0"u8),
        (int)Status.Io => Static("AMZ_ERR_IO\0"u8),
        (int)Status.Format => Static("AMZ_ERR_FORMAT\0"u8),
        (int)Status.InvalidHandle => Static("AMZ_ERR_INVALID_HANDLE\0"u8),
        (int)Status.OutOfMemory => Static("AMZ_ERR_OUT_OF_MEMORY\0"u8),
        (int)Status.Internal => Static("AMZ_ERR_INTERNAL\0"u8),
        _ => Static("AMZ_UNKNOWN\0"u8),
    };

    /// <summary>
    /// The address of a UTF-8 literal. The compiler stores u8 literals as constant data in the image (RVA
    /// statics), which the GC never moves or frees, so the pointer outlives the span safely.
    /// </summary>
    private static byte* Static(ReadOnlySpan<byte> literal) =>
        (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(literal));

    [UnmanagedCallersOnly(EntryPoint = "amortized_last_error")]
    public static int GetLastError(byte* buffer, nuint capacity)
    {
        try
        {
            if (buffer is null) return capacity == 0 ? (int)Status.Ok : (int)Status.NullArgument;
            if (capacity == 0) return (int)Status.BufferTooSmall;
            byte[] bytes = Encoding.UTF8.GetBytes(LastError.Message);
            int n = (int)Math.Min((nuint)bytes.Length, capacity - 1);
            // Cut before a UTF-8 continuation byte so the copy stays valid UTF-8.
            if (n < bytes.Length) while (n > 0 && (bytes[n] & 0xC0) == 0x80) n--;
            bytes.AsSpan(0, n).CopyTo(new Span<byte>(buffer, n));
            buffer[n] = 0;
            return n < bytes.Length ? (int)Status.BufferTooSmall : (int)Status.Ok;
        }
        catch
        {
            return (int)Status.Internal;   // never touches the message it reports
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_load")]
    public static int Load(byte* path, nint* outModel) => LoadCore(path, null, null, 0, outModel, "amortized_load");

    [UnmanagedCallersOnly(EntryPoint = "amortized_load_with_shapes")]
    public static int LoadWithShapes(byte* path, byte* shapesJson, nint* outModel) =>
        LoadCore(path, shapesJson, null, 0, outModel, "amortized_load_with_shapes");

    [UnmanagedCallersOnly(EntryPoint = "amortized_load_signed")]
    public static int LoadSigned(byte* path, byte* shapesJson, byte* key, nuint keyLength, nint* outModel)
    {
        const string F = "amortized_load_signed";
        if (key is null)
        {
            LastError.Clear();
            if (outModel is not null) *outModel = 0;
            return LastError.Set(Status.NullArgument, $"{F}: key is NULL.");
        }
        return LoadCore(path, shapesJson, key, keyLength, outModel, F);
    }

    /// <summary>Loads a model; <paramref name="key"/> (when not NULL, <paramref name="keyLength"/> bytes) must have
    /// signed the file.</summary>
    private static int LoadCore(byte* path, byte* shapesJson, byte* key, nuint keyLength, nint* outModel,
        string function)
    {
        try
        {
            LastError.Clear();
            if (outModel is null) return LastError.Set(Status.NullArgument, $"{function}: out_model is NULL.");
            *outModel = 0;
            if (path is null) return LastError.Set(Status.NullArgument, $"{function}: path is NULL.");
            ModelFileKey? modelKey = null;
            if (key is not null)
            {
                // Checked before the span is made, so a huge key_len never reads (or copies) past the caller's key.
                if (keyLength < ModelFileKey.MinBytes || keyLength > ModelFileKey.MaxBytes)
                    return LastError.Set(Status.InvalidArgument, $"{function}: key_len is {keyLength}; allowed: " +
                        $"{ModelFileKey.MinBytes} to {ModelFileKey.MaxBytes} bytes.");
                modelKey = new ModelFileKey(new ReadOnlySpan<byte>(key, (int)keyLength));
            }
            string? shapes = shapesJson is null ? null : Utf8(shapesJson);
            NativeModel model = NativeModel.Load(Utf8(path), shapes, modelKey);
            *outModel = Handles.Add(model);
            return (int)Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Set(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_free")]
    public static int Free(nint model)
    {
        try
        {
            LastError.Clear();
            if (model == 0) return (int)Status.Ok;
            Handles.Free(model, "amortized_free");
            return (int)Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Set(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_info_json")]
    public static int InfoJson(nint model, byte* buffer, nuint capacity, nuint* required)
    {
        try
        {
            LastError.Clear();
            NativeModel m = Resolve(model, "amortized_info_json");
            byte[] json = m.InfoJsonUtf8;
            if (required is not null) *required = (nuint)json.Length;
            if (buffer is null && capacity != 0)
                return LastError.Set(Status.NullArgument,
                    $"amortized_info_json: buffer is NULL but capacity is {capacity}.");
            if (capacity < (nuint)json.Length)
                return LastError.Set(Status.BufferTooSmall, $"amortized_info_json: the buffer holds {capacity} " +
                    $"bytes; the JSON needs {json.Length} (including the NUL).");
            json.CopyTo(new Span<byte>(buffer, json.Length));
            return (int)Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Set(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_parameter_dim")]
    public static int ParameterDim(nint model, long* outDim)
    {
        try
        {
            LastError.Clear();
            NativeModel m = Resolve(model, "amortized_parameter_dim");
            if (outDim is null) return LastError.Set(Status.NullArgument, "amortized_parameter_dim: out_dim is NULL.");
            *outDim = m.ParameterDim;
            return (int)Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Set(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_observation_size")]
    public static int ObservationSize(nint model, long* outSize)
    {
        try
        {
            LastError.Clear();
            NativeModel m = Resolve(model, "amortized_observation_size");
            if (outSize is null)
                return LastError.Set(Status.NullArgument, "amortized_observation_size: out_size is NULL.");
            *outSize = m.ObservationSize;
            return (int)Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Set(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_sample")]
    public static int Sample(nint model, float* observations, nuint observationsCount,
        long numDatasets, long numSamples,
        ulong seed, float* outDraws, nuint outCapacity)
    {
        const string F = "amortized_sample";
        try
        {
            LastError.Clear();
            NativeModel m = Resolve(model, F);
            int datasets = Count(numDatasets, "num_datasets", F), samples = Count(numSamples, "num_samples", F);
            ReadOnlySpan<float> obs =
                Input(observations, observationsCount, datasets, m.ObservationSize, "observations", m, F);
            long needed = Total(F, datasets, samples, m.ParameterDim);
            if (outDraws is null) return LastError.Set(Status.NullArgument, $"{F}: out_draws is NULL.");
            if (outCapacity < (nuint)needed)
                return LastError.Set(Status.BufferTooSmall,
                    $"{F}: out_draws holds {outCapacity} floats; {datasets} data sets x {samples} samples x " +
                    $"{m.ParameterDim} parameters need {needed}.");
            m.Sample(obs, datasets, samples, seed, new Span<float>(outDraws, (int)needed));
            return (int)Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Set(e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "amortized_log_prob")]
    public static int LogProb(nint model, float* observations, nuint observationsCount,
        float* parameters, nuint parametersCount,
        long numDatasets, float* output, nuint outCapacity)
    {
        const string F = "amortized_log_prob";
        try
        {
            LastError.Clear();
            NativeModel m = Resolve(model, F);
            int datasets = Count(numDatasets, "num_datasets", F);
            ReadOnlySpan<float> obs =
                Input(observations, observationsCount, datasets, m.ObservationSize, "observations", m, F);
            ReadOnlySpan<float> theta =
                Input(parameters, parametersCount, datasets, m.ParameterDim, "parameters", m, F);
            if (output is null) return LastError.Set(Status.NullArgument, $"{F}: out is NULL.");
            if (outCapacity < (nuint)datasets)
                return LastError.Set(Status.BufferTooSmall,
                    $"{F}: out holds {outCapacity} floats; {datasets} data sets need {datasets}.");
            m.LogProb(obs, theta, datasets, new Span<float>(output, datasets));
            return (int)Status.Ok;
        }
        catch (Exception e)
        {
            return LastError.Set(e);
        }
    }

    private static NativeModel Resolve(nint model, string function) => Handles.Get(model, function);

    private static int Count(long value, string name, string function)
    {
        if (value <= 0 || value > int.MaxValue)
            throw new NativeException(Status.InvalidArgument,
                $"{function}: {name} is {value}; expected 1 to {int.MaxValue}.");
        return (int)value;
    }

    private static long Total(string function, params ReadOnlySpan<long> factors)
    {
        long total = 1;
        foreach (long f in factors)
        {
            total *= f;
            if (total > Array.MaxLength)
                throw new NativeException(Status.InvalidArgument,
                    $"{function}: the call needs more than {Array.MaxLength} floats " +
                    $"({string.Join(" x ", factors.ToArray())}); split it into smaller calls.");
        }
        return total;
    }

    /// <summary>An input array of exactly datasets x width floats; NULL only when that is zero.</summary>
    private static ReadOnlySpan<float> Input(float* data, nuint count, int datasets, int width, string name,
        NativeModel m, string function)
    {
        long expected = Total(function, datasets, width);
        if (data is null && expected > 0)
            throw new NativeException(Status.NullArgument, $"{function}: {name} is NULL.");
        if (count != (nuint)expected)
        {
            string keys =
                name == "observations" ? KeyLayout.Describe(m.Observations) : KeyLayout.Describe(m.Parameters);
            throw new NativeException(Status.Shape,
                $"{function}: {name} holds {count} floats; {datasets} data sets x {width} floats per data set " +
                $"[{keys}] make {expected}.");
        }
        return expected == 0 ? default : new ReadOnlySpan<float>(data, (int)expected);
    }

    private static string Utf8(byte* text) => Marshal.PtrToStringUTF8((nint)text) ?? "";

    private static byte* AllocUtf8(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text + "\0");
        byte* p = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        return p;
    }
}
