using System.Text.Json;
using static Amortized.Inference.Adapters.AdapterJson;

namespace Amortized.Inference.Adapters;

/// <summary>Builds a transform from its JSON object.</summary>
internal static class AdapterTransformReader
{
    public static IAdapterTransform Read(JsonElement e, AdapterTransformRegistry registry)
    {
        string type = e.TryGetProperty("type", out JsonElement t) ? t.GetString() ?? "" : "";
        switch (type)
        {
            case "rename": return new RenameTransform(Str(e, "from", type), Str(e, "to", type));
            case "drop": return new DropTransform(Strings(e, "keys", type));
            case "keep": return new KeepTransform(Strings(e, "keys", type));
            case "to_float32": return new ToFloat32Transform(Strings(e, "keys", type));
            case "concatenate":
            {
                var c = new ConcatenateTransform(Strings(e, "keys", type), Str(e, "into", type));
                if (e.TryGetProperty("sizes", out _)) c.Sizes = Ints(e, "sizes", type);
                if (e.TryGetProperty("vector", out JsonElement v))
                {
                    var flags = new List<bool>();
                    foreach (JsonElement b in v.EnumerateArray()) flags.Add(b.GetBoolean());
                    c.Vector = [.. flags];
                }
                return c;
            }
            case "split": return new SplitTransform(Str(e, "key", type),
                Strings(e, "into", type), Ints(e, "sizes", type));
            case "standardize": return new StandardizeTransform(Strings(e, "keys", type),
                Numbers(e, "mean", type), Numbers(e, "std", type));
            case "log": return new LogTransform(Strings(e, "keys", type), Property(e, "p1", type).GetBoolean());
            case "sqrt": return new SqrtTransform(Strings(e, "keys", type));
            case "scale": return new ScaleTransform(Strings(e, "keys", type), Property(e, "scale", type).GetDouble());
            case "shift": return new ShiftTransform(Strings(e, "keys", type), Property(e, "shift", type).GetDouble());
            case "constrain":
            {
                string method = Str(e, "method", type);
                if (!Enum.TryParse(method, ignoreCase: true, out ConstraintMethod m))
                    throw new FormatException(
                        $"Adapter JSON: constrain method '{method}' is unknown; expected sigmoid, softplus or exp.");
                return new ConstrainTransform(Strings(e, "keys", type), OptionalNumber(e, "lower"),
                    OptionalNumber(e, "upper"), m,
                    Property(e, "epsilon", type).GetDouble());
            }
            case "as_set" or "as_time_series":
            {
                var a = new AsSetTransform(Strings(e, "keys", type), type);
                if (e.TryGetProperty("ranks", out JsonElement ranks))
                    foreach (JsonProperty p in ranks.EnumerateObject()) a.Ranks[p.Name] = p.Value.GetInt32();
                return a;
            }
            case "broadcast":
            {
                var b = new BroadcastTransform(Strings(e, "keys", type), Str(e, "to", type));
                if (e.TryGetProperty("shapes", out JsonElement shapes))
                    foreach (JsonProperty p in shapes.EnumerateObject()) b.Shapes[p.Name] = Ints(shapes, p.Name, type);
                return b;
            }
            case "expand_dims": return new ExpandDimsTransform(Strings(e, "keys", type),
                Property(e, "axis", type).GetInt32());
            case "squeeze": return new SqueezeTransform(Strings(e, "keys", type), Property(e, "axis", type).GetInt32());
            case "one_hot": return new OneHotTransform(Str(e, "key", type),
                Property(e, "num_classes", type).GetInt32());
            case "nan_to_num":
                return new NanToNumTransform(Str(e, "key", type), Property(e, "value", type).GetSingle(),
                    e.TryGetProperty("mask_key", out JsonElement mk) ? mk.GetString() : null);
            case "take": return new TakeTransform(Str(e, "key", type), Ints(e, "indices", type),
                Property(e, "axis", type).GetInt32(), 0);
            case "random_subsample":
                return new TakeTransform(Str(e, "key", type), null, Property(e, "axis", type).GetInt32(),
                    Property(e, "sample_size", type).GetInt32());
            case "custom": return registry.Create(e);
            case "group": return new GroupTransform(Strings(e, "keys", type), Str(e, "into", type),
                e.TryGetProperty("prefix", out JsonElement gp) ? gp.GetString() ?? "" : "");
            case "ungroup":
            {
                var u = new UngroupTransform(Str(e, "key", type),
                    e.TryGetProperty("prefix", out JsonElement up) ? up.GetString() ?? "" : "");
                if (e.TryGetProperty("members", out _)) u.Members.AddRange(Strings(e, "members", type));
                return u;
            }
            default:
                throw new FormatException($"Adapter JSON: unknown transform type '{type}'.");
        }
    }

    private static string Str(JsonElement e, string name, string type) => Property(e, name, type).GetString()!;
}
