namespace Amortized.Native;

/// <summary>
/// The table behind the C model handles. A handle encodes a slot and that slot's generation; freeing a model empties
/// its slot and bumps the generation, so when the slot is reused for another model, a stale copy of the old handle
/// (a second amortized_free, a call after free) no longer matches and is refused with AMZ_ERR_INVALID_HANDLE instead
/// of reaching, or freeing, the new model. Values that were never handles fail the same check.
/// </summary>
/// <remarks>
/// Layout (64-bit processes; the library is published for linux-x64): bits 0-31 hold the slot plus 1 (so no handle
/// is NULL), bits 32-62 the generation (1 to 2^31 - 1, wrapping). A slot would have to be freed and reused 2^31
/// times before a stale handle could match again.
/// </remarks>
internal static class Handles
{
    private const uint MaxGeneration = int.MaxValue;

    private static readonly Lock s_gate = new();
    private static readonly List<Slot> s_slots = [];
    private static readonly Stack<int> s_free = new();

    private struct Slot
    {
        public NativeModel? Model;
        public uint Generation;
    }

    /// <summary>Stores <paramref name="model"/> and returns its new handle.</summary>
    public static nint Add(NativeModel model)
    {
        lock (s_gate)
        {
            int index;
            if (s_free.Count > 0) index = s_free.Pop();
            else
            {
                index = s_slots.Count;
                s_slots.Add(new Slot { Generation = 1 });
            }
            Slot slot = s_slots[index];
            slot.Model = model;
            s_slots[index] = slot;
            return Encode(index, slot.Generation);
        }
    }

    /// <summary>The model behind a live handle.</summary>
    /// <exception cref="NativeException">InvalidHandle: NULL, freed, stale or never returned by amortized_load.
    /// </exception>
    public static NativeModel Get(nint handle, string function)
    {
        lock (s_gate) return s_slots[Find(handle, function)].Model!;
    }

    /// <summary>Releases a live handle; its slot may be reused, under a new generation.</summary>
    /// <exception cref="NativeException">InvalidHandle, as for <see cref="Get"/>; nothing is freed then.</exception>
    public static void Free(nint handle, string function)
    {
        lock (s_gate)
        {
            int index = Find(handle, function);
            Slot slot = s_slots[index];
            slot.Model = null;
            slot.Generation = slot.Generation == MaxGeneration ? 1 : slot.Generation + 1;
            s_slots[index] = slot;
            s_free.Push(index);
        }
    }

    private static nint Encode(int index, uint generation) => (nint)((long)generation << 32 | (uint)(index + 1));

    /// <summary>The slot of a live handle; call under the lock.</summary>
    private static int Find(nint handle, string function)
    {
        if (handle == 0) throw new NativeException(Status.InvalidHandle, $"{function}: the model handle is NULL.");
        long value = handle;
        long index = (value & uint.MaxValue) - 1;
        long generation = value >>> 32;
        if (index < 0 || index >= s_slots.Count || s_slots[(int)index].Model is null
            || s_slots[(int)index].Generation != generation)
            throw new NativeException(Status.InvalidHandle, $"{function}: the handle 0x{value:x} does not refer to " +
                "a loaded model (it was freed already, or was not returned by amortized_load).");
        return (int)index;
    }
}
