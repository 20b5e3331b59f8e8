using System.Text.Json.Nodes;
using Amortized.Inference.Serialization;
using Amortized.Tensors;
using Amortized.Testing;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;
using static Amortized.Inference.Tests.Serialization.HostileModelFiles;

namespace Amortized.Inference.Tests.Serialization;

/// <summary>
/// Fuzzing the approximator loader past the checksum: a valid small model file is mutated by raw corruptions
/// (bit flips, truncations, ...) and by resealed edits (a random value anywhere in the spec or the adapter replaced
/// by a nasty one, then the checksum recomputed, as anyone can). Loading must either succeed or throw
/// <see cref="InvalidDataException"/> naming the file, and allocate less than 100 MB either way.
/// </summary>
public sealed class ApproximatorFileFuzzTests : IDisposable
{
    private const long AllocationBound = 100L << 20;

    private static readonly byte[] s_valid = SmallBytes();

    // Replacements of the same kind as the value they replace (so most edits parse and reach the checks and the
    // builders): sizes at and beyond the bounds, overflowing and negative numbers, enum names of other fields.
    private static readonly Func<JsonNode?>[] s_numbers =
    [
        () => 0, () => -1, () => 1, () => 2, () => 3, () => 65, () => 4096, () => 4097, () => 1 << 20,
        () => int.MaxValue, () => int.MinValue, () => 1L << 40, () => 1.5, () => 1e300,
    ];

    private static readonly Func<JsonNode?>[] s_arrays =
    [
        () => new JsonArray(), () => new JsonArray(0), () => new JsonArray(1), () => new JsonArray(4096, 4096),
        () => new JsonArray(int.MaxValue, 2), () => new JsonArray(-1), () => new JsonArray(3, 3, 3, 3, 3),
        () => new JsonArray([.. Enumerable.Range(0, 70).Select(_ => (JsonNode?)2)]),
    ];

    private static readonly Func<JsonNode?>[] s_others =
    [
        () => "NaN", () => "", () => "Spline", () => "DeepSet", () => "SetTransformer", () => "TimeSeries",
        () => "FlowMatching", () => "None", () => true, () => null, () => new JsonObject(),
        () => new JsonObject { ["bins"] = 1 << 30 },
    ];

    /// <summary>A replacement for <paramref name="target"/>: one in five of any kind, else of its own kind.
    /// </summary>
    private static JsonNode? Nasty(JsonNode target, int choice)
    {
        Func<JsonNode?>[] pool = (choice % 5, target.GetValueKind()) switch
        {
            (0, _) => [.. s_numbers, .. s_arrays, .. s_others],
            (_, System.Text.Json.JsonValueKind.Number) => s_numbers,
            (_, System.Text.Json.JsonValueKind.Array) => s_arrays,
            _ => s_others,
        };
        return pool[choice / 5 % pool.Length]();
    }

    public enum MutationKind { Spec, Adapter, Raw }

    /// <summary>One mutation: Node picks the edited node (modulo the node count), Value the replacement (see
    /// <see cref="Nasty"/>); Raw mutations reuse <see cref="ModelFileFuzzTests"/>' corruptions.</summary>
    public sealed record Mutation(MutationKind Kind, int Node, int Value, ModelFileFuzzTests.Corruption Raw);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("amortized-approximator-fuzz-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static Arbitrary<Mutation[]> Cases()
    {
        Gen<ModelFileFuzzTests.Corruption> raw =
            from kind in Gen.Elements(Enum.GetValues<ModelFileFuzzTests.CorruptionKind>())
            from position in Gen.Choose(0, int.MaxValue)
            from length in Gen.Choose(1, 48)
            from seed in Gen.Choose(0, int.MaxValue)
            select new ModelFileFuzzTests.Corruption(kind, position, length, seed);
        Gen<Mutation> mutation =
            from kind in Gen.Frequency((4, Gen.Constant(MutationKind.Spec)), (3, Gen.Constant(MutationKind.Adapter)),
                (1, Gen.Constant(MutationKind.Raw)))
            from node in Gen.Choose(0, int.MaxValue)
            from value in Gen.Choose(0, int.MaxValue)
            from corruption in raw
            select new Mutation(kind, node, value, corruption);
        return (from count in Gen.Choose(1, 3) from steps in mutation.ArrayOf(count) select steps).ToArbitrary();
    }

    [Property(MaxTest = 1000, Replay = TestSeeds.FsCheckReplay)]
    public Property Load_MutatedOrResealedFile_LoadsOrThrowsInvalidDataWithinTheAllocationBound() =>
        Prop.ForAll(Cases(), steps =>
        {
            byte[] bytes = s_valid;
            foreach (Mutation m in steps) bytes = Apply(bytes, m);
            string path = Path.Combine(_dir.FullName, "fuzz.amz");
            File.WriteAllBytes(path, bytes);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { ApproximatorFile.Load(path); }
            catch (InvalidDataException e)
            {
                Assert.StartsWith($"Model file '{path}': ", e.Message);
            }
            finally
            {
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.True(allocated < AllocationBound, $"allocated {allocated} bytes");
            }
        });

    private static byte[] Apply(byte[] file, Mutation m)
    {
        if (m.Kind == MutationKind.Raw) return ModelFileFuzzTests.Apply(file, m.Raw);
        // A raw corruption earlier in the chain may have left a header that cannot be resealed; then it stays as is.
        try { return Reseal(file, m); }
        catch (Exception) { return file; }
    }

    private static byte[] Reseal(byte[] file, Mutation m)
    {
        (JsonObject header, _) = ModelFileTestFiles.Split(file);
        var manifest = (JsonObject)JsonNode.Parse((string)header["__metadata__"]!["manifest"]!)!;
        string part = m.Kind == MutationKind.Spec ? "spec" : "adapter";
        if (manifest[part] is not JsonNode root) return file;
        List<JsonNode> nodes = [];
        Collect(root, nodes);
        JsonNode target = nodes[m.Node % nodes.Count];
        JsonNode? value = Nasty(target, m.Value);
        switch (target.Parent)
        {
            case JsonObject parent: parent[target.GetPropertyName()] = value; break;
            case JsonArray array: array[target.GetElementIndex()] = value; break;
            default: manifest[part] = value; break;
        }
        return ModelFileTestFiles.ResealManifest(file, edit =>
        {
            edit.Clear();
            foreach (string key in manifest.Select(p => p.Key).ToList())
            {
                JsonNode? node = manifest[key];
                manifest.Remove(key);
                edit[key] = node;
            }
        });
    }

    /// <summary>Every node of the tree, root first.</summary>
    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        nodes.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach ((_, JsonNode? child) in o) if (child is not null) Collect(child, nodes);
                break;
            case JsonArray a:
                foreach (JsonNode? child in a) if (child is not null) Collect(child, nodes);
                break;
        }
    }
}
