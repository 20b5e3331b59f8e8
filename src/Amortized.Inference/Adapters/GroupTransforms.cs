using System.Text.Json;
using Amortized.Inference.Simulators;

namespace Amortized.Inference.Adapters;

/// <summary>
/// Gathers keys into a group (BayesFlow's <c>group(keys, into, prefix)</c>): key K becomes the flat key
/// <c>into/M</c> (<see cref="Keys.GroupMember"/>) where M is K without <c>prefix</c>. The batch stays flat, and a
/// multimodal summary network reads the members of <c>summary_variables</c> this way. The inverse moves the members
/// back.
/// </summary>
internal sealed class GroupTransform : IAdapterTransform
{
    public GroupTransform(string[] keys, string into, string prefix)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentException.ThrowIfNullOrEmpty(into);
        ArgumentNullException.ThrowIfNull(prefix);
        if (keys.Length == 0)
            throw new ArgumentException($"Adapter.Group: expected at least one key to group into '{into}', got none.",
                nameof(keys));
        if (into.Contains(Adapters.Keys.GroupSeparator))
            throw new ArgumentException($"Adapter.Group: group name '{into}' contains '{Adapters.Keys.GroupSeparator}'," +
                " which separates a group from its members.", nameof(into));
        var members = new HashSet<string>(StringComparer.Ordinal);
        foreach (string k in keys)
        {
            if (!k.StartsWith(prefix, StringComparison.Ordinal) || k.Length == prefix.Length)
                throw new ArgumentException($"Adapter.Group: key '{k}' does not start with the prefix '{prefix}' " +
                    "(or is nothing but the prefix); each key must be the prefix followed by its member name.",
                    nameof(keys));
            if (!members.Add(k[prefix.Length..]))
                throw new ArgumentException($"Adapter.Group: member '{k[prefix.Length..]}' appears twice in " +
                    $"{ShapeText.Keys(keys)}.", nameof(keys));
        }
        Keys = keys;
        Into = into;
        Prefix = prefix;
    }

    public string[] Keys { get; }
    public string Into { get; }
    public string Prefix { get; }
    public string TypeName => "group";
    public IEnumerable<string> NamedKeys => [.. Keys, Into];

    private string Member(string key) => Adapters.Keys.GroupMember(Into, key[Prefix.Length..]);

    public void Forward(AdapterContext c)
    {
        if (c.Data.Contains(Into))
            throw new InvalidOperationException($"Adapter.group: the data already has a plain key '{Into}'; a group " +
                $"of that name would hide it (the data has {ShapeText.Keys(c.Data.Keys)}).");
        foreach (string k in Keys)
            if (c.Require(k, TypeName)) Move(c, k, Member(k));
    }

    public void Inverse(AdapterContext c)
    {
        foreach (string k in Keys)
            if (c.Data.Contains(Member(k))) Move(c, Member(k), k);
    }

    public void TraceBack(InputTrace trace)
    {
        foreach (string k in Keys)
            if (trace.Remove(Member(k), out int[]? shape)) trace.Add(k, shape);
    }

    internal static void Move(AdapterContext c, string from, string to)
    {
        if (c.Data.Contains(to))
            throw new InvalidOperationException($"Adapter: cannot move '{from}' to '{to}'; key '{to}' already exists " +
                $"in {ShapeText.Keys(c.Data.Keys)}.");
        c.Data.SetCore(to, c.Data.Get(from), c.Data.Shape(from).ToArray(), c.Data.IsInteger(from));
        c.Data.Remove(from);
        c.MoveLogDet(from, to);
    }

    public void Write(Utf8JsonWriter w)
    {
        AdapterJson.WriteStrings(w, "keys", Keys);
        w.WriteString("into", Into);
        w.WriteString("prefix", Prefix);
    }
}

/// <summary>
/// Flattens a group (BayesFlow's <c>ungroup(key, prefix)</c>): each flat key <c>group/M</c> becomes <c>prefix + M</c>.
/// The members found by the forward pass are recorded (and saved), so the inverse can regroup them.
/// </summary>
internal sealed class UngroupTransform(string group, string prefix) : IAdapterTransform
{
    public string Group { get; } = group;
    public string Prefix { get; } = prefix;

    /// <summary>The members in the order the forward pass found them.</summary>
    public List<string> Members { get; } = [];

    public string TypeName => "ungroup";
    public IEnumerable<string> NamedKeys => [Group, .. Members.Select(m => Prefix + m)];

    private string Start => $"{Group}{Keys.GroupSeparator}";

    public void Forward(AdapterContext c)
    {
        var found = c.Data.Keys.Where(k => k.StartsWith(Start, StringComparison.Ordinal) && k.Length > Start.Length)
            .ToList();
        if (found.Count == 0)
        {
            if (c.Strict)
                throw new KeyNotFoundException($"Adapter.ungroup: group '{Group}' has no members (no key starts with " +
                    $"'{Start}'); the data has {ShapeText.Keys(c.Data.Keys)}.");
            return;
        }
        var members = found.ConvertAll(k => k[Start.Length..]);
        foreach (string k in found) GroupTransform.Move(c, k, Prefix + k[Start.Length..]);
        foreach (string m in members)
            if (!Members.Contains(m)) Members.Add(m);
    }

    public void Inverse(AdapterContext c)
    {
        foreach (string m in Members)
            if (c.Data.Contains(Prefix + m)) GroupTransform.Move(c, Prefix + m, Keys.GroupMember(Group, m));
    }

    public void TraceBack(InputTrace trace)
    {
        foreach (string m in Members)
            if (trace.Remove(Prefix + m, out int[]? shape)) trace.Add(Keys.GroupMember(Group, m), shape);
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteString("key", Group);
        w.WriteString("prefix", Prefix);
        AdapterJson.WriteStrings(w, "members", Members);
    }
}
