using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Quorum.Kubernetes;

/// <summary>The objects of a set of manifests that matter to scheduling.</summary>
public sealed class ManifestSet
{
    public List<V1Node> Nodes { get; } = [];
    public List<V1Pod> Pods { get; } = [];
    public List<PodGroupResource> PodGroups { get; } = [];
    public List<TopologyResource> Topologies { get; } = [];
    public List<V1PriorityClass> PriorityClasses { get; } = [];
    public List<V1PersistentVolumeClaim> Claims { get; } = [];
    public List<V1PersistentVolume> Volumes { get; } = [];
    public List<V1StorageClass> StorageClasses { get; } = [];
    public List<V1CSINode> CsiNodes { get; } = [];

    /// <summary>Kinds read but not used by scheduling (Deployments, Services…), as "apiVersion/kind".</summary>
    public List<string> Ignored { get; } = [];
}

/// <summary>One object of a manifest as read, before it is converted: where it is, what it is, and its namespace as written.</summary>
/// <param name="Type">The class it is converted to; null for kinds scheduling does not use.</param>
public sealed record ManifestObject(string Where, string ApiVersion, string Kind, Type? Type, string? Namespace, YamlMappingNode Node);

/// <summary>Bounds on what <see cref="ManifestReader"/> reads: objects (documents and List items) and nesting depth.</summary>
public sealed record ManifestLimits(int MaxObjects = int.MaxValue, int MaxDepth = 100, string LimitName = "the most that is read")
{
    public static ManifestLimits Default { get; } = new();
}

/// <summary>Input over <see cref="ManifestLimits.MaxObjects"/>; reading stopped there.</summary>
public sealed class ManifestLimitException : Exception
{
    public ManifestLimitException() { }
    public ManifestLimitException(string message) : base(message) { }
    public ManifestLimitException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Reads multi-document YAML and <c>List</c> objects, as <c>kubectl get nodes,pods -A -o yaml</c> writes
/// them, into typed objects. A document that is not valid YAML or not a Kubernetes object is refused
/// with the file and document number.
/// </summary>
/// <remarks>
/// Manifests can come from callers of the gRPC API, so reading is bounded before anything is built:
/// YAML aliases are refused (each would repeat a subtree: a few hundred bytes of aliases to aliases
/// stand for millions of objects), nesting is bounded (<see cref="ManifestLimits.MaxDepth"/>), a List
/// holds objects, not Lists (kubectl's List is one level), and objects are counted as they are found,
/// stopping at <see cref="ManifestLimits.MaxObjects"/>. <see cref="Scan"/> does this and nothing
/// costly; <see cref="Convert"/> then builds the typed objects.
/// </remarks>
public static class ManifestReader
{
    private static readonly Dictionary<string, Type> Types = new(StringComparer.Ordinal)
    {
        ["v1/Node"] = typeof(V1Node),
        ["v1/Pod"] = typeof(V1Pod),
        ["scheduling.k8s.io/v1/PriorityClass"] = typeof(V1PriorityClass),
        ["v1/PersistentVolumeClaim"] = typeof(V1PersistentVolumeClaim),
        ["v1/PersistentVolume"] = typeof(V1PersistentVolume),
        ["storage.k8s.io/v1/StorageClass"] = typeof(V1StorageClass),
        ["storage.k8s.io/v1/CSINode"] = typeof(V1CSINode),
        [$"{PodGroupResource.GroupVersion}/PodGroup"] = typeof(PodGroupResource),
        [$"{PodGroupResource.GroupVersion}/Topology"] = typeof(TopologyResource),
    };

    public static ManifestSet ReadFiles(IEnumerable<string> paths, ManifestSet? into = null)
    {
        var set = into ?? new ManifestSet();
        foreach (var path in paths)
        {
            string text;
            try
            {
                text = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path);
            }
            catch (IOException e)
            {
                throw new InvalidObjectException($"file {path}: {e.Message}");
            }
            catch (UnauthorizedAccessException e)
            {
                throw new InvalidObjectException($"file {path}: {e.Message}");
            }
            Read(text, path, set);
        }
        return set;
    }

    public static ManifestSet Read(string yaml, string source = "<input>", ManifestSet? into = null) =>
        Convert(Scan(yaml, source, ManifestLimits.Default), into);

    /// <summary>
    /// The objects of <paramref name="yaml"/>, List items flattened, checked only as far as is cheap:
    /// YAML syntax, no aliases, nesting, apiVersion and kind set, and their number.
    /// </summary>
    /// <exception cref="InvalidObjectException">Not YAML, an alias, too deep, not an object, or a List in a List.</exception>
    /// <exception cref="ManifestLimitException">More than <see cref="ManifestLimits.MaxObjects"/> objects.</exception>
    public static IReadOnlyList<ManifestObject> Scan(string yaml, string source, ManifestLimits limits)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new BoundedParser(new Parser(new StringReader(yaml)), source, limits.MaxDepth));
        }
        catch (YamlException e)
        {
            throw new InvalidObjectException($"{source}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        var objects = new List<ManifestObject>();
        void Add(YamlMappingNode map, string where)
        {
            if (objects.Count == limits.MaxObjects)
                throw new ManifestLimitException($"{where}: more than {limits.MaxObjects} objects, {limits.LimitName}");
            var (apiVersion, kind) = Identify(map, where);
            var type = Types.GetValueOrDefault($"{apiVersion}/{kind}");
            var ns = Child(map, "metadata") is YamlMappingNode meta && Child(meta, "namespace") is YamlScalarNode s && !IsNull(s) ? s.Value : null;
            objects.Add(new ManifestObject(where, apiVersion, kind, type, ns, map));
        }
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            var root = stream.Documents[i].RootNode;
            var where = $"{source}: document {i + 1}";
            if (root is YamlScalarNode { Value: null or "" }) continue;
            if (root is not YamlMappingNode map)
                throw new InvalidObjectException($"{where} is not a Kubernetes object (a mapping with apiVersion and kind)");
            var (_, kind) = Identify(map, where);
            if (!IsList(kind))
            {
                Add(map, where);
                continue;
            }
            if (Child(map, "items") is not YamlSequenceNode items) continue;
            var n = 0;
            foreach (var item in items)
            {
                var at = $"{where} items[{n}]";
                if (item is not YamlMappingNode m) throw new InvalidObjectException($"{where}: items[{n}] is not an object");
                if (IsList(Identify(m, at).Kind))
                    throw new InvalidObjectException($"{at}: a List inside a List is not read (kubectl's List holds objects, not Lists)");
                Add(m, at);
                n++;
            }
        }
        return objects;
    }

    /// <summary>The objects scheduling uses, typed; other kinds are listed in <see cref="ManifestSet.Ignored"/>.</summary>
    /// <exception cref="InvalidObjectException">An object the client library cannot read, or a quantity that is not one; the message names it.</exception>
    public static ManifestSet Convert(IEnumerable<ManifestObject> objects, ManifestSet? into = null)
    {
        var set = into ?? new ManifestSet();
        foreach (var o in objects) AddObject(o, set);
        return set;
    }

    private static bool IsList(string kind) => kind.EndsWith("List", StringComparison.Ordinal);

    private static (string ApiVersion, string Kind) Identify(YamlMappingNode map, string where)
    {
        var apiVersion = Scalar(map, "apiVersion");
        var kind = Scalar(map, "kind");
        if (apiVersion is null || kind is null) throw new InvalidObjectException($"{where}: apiVersion and kind must be set");
        return (apiVersion, kind);
    }

    /// <summary>A plain scalar YAML reads as null, as the client library's deserializer does.</summary>
    private static bool IsNull(YamlScalarNode s) =>
        s.Value is null or "" || (s.Style == YamlDotNet.Core.ScalarStyle.Plain && s.Value is "~" or "null" or "Null" or "NULL");

    private static void AddObject(ManifestObject o, ManifestSet set)
    {
        var (where, apiVersion, kind, type, map) = (o.Where, o.ApiVersion, o.Kind, o.Type, o.Node);
        if (type is null)
        {
            set.Ignored.Add($"{apiVersion}/{kind}");
            return;
        }
        CheckQuantities(map, kind, where);
        var text = Serialize(map);
        object obj;
        try
        {
            obj = KubernetesYaml.LoadAllFromString(text, Types).Single();
        }
        catch (Exception e) when (e is YamlException or FormatException or InvalidOperationException or ArgumentException)
        {
            var name = map.Children.TryGetValue(new YamlScalarNode("metadata"), out var meta) && meta is YamlMappingNode mm ? Scalar(mm, "name") : null;
            var detail = e is YamlException ye ? FieldError(text, ye, type) ?? $"{ye.InnerException?.Message ?? ye.Message}" : e.Message;
            throw new InvalidObjectException($"{where} ({kind} {name ?? "<unnamed>"}): {detail}");
        }
        switch (obj)
        {
            case V1Node node: set.Nodes.Add(node); break;
            case V1Pod pod: set.Pods.Add(pod); break;
            case PodGroupResource pg: set.PodGroups.Add(pg); break;
            case TopologyResource t: set.Topologies.Add(t); break;
            case V1PriorityClass pc: set.PriorityClasses.Add(pc); break;
            case V1PersistentVolumeClaim c: set.Claims.Add(c); break;
            case V1PersistentVolume v: set.Volumes.Add(v); break;
            case V1StorageClass sc: set.StorageClasses.Add(sc); break;
            case V1CSINode csi: set.CsiNodes.Add(csi); break;
            default: set.Ignored.Add(type.Name); break;
        }
    }

    /// <summary>
    /// "spec.minMember: 2147483648 is out of range (an integer from … to …)" for a number the client
    /// library cannot hold, found by the position the deserializer reports; null when it cannot be found.
    /// </summary>
    private static string? FieldError(string text, YamlException e, Type type)
    {
        if (e.InnerException is not (OverflowException or FormatException)) return null;
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var path = new List<string>();
        YamlScalarNode? Find(YamlNode node)
        {
            switch (node)
            {
                case YamlScalarNode s when s.Start.Line == e.Start.Line && s.Start.Column == e.Start.Column:
                    return s;
                case YamlMappingNode m:
                    foreach (var (k, v) in m.Children)
                    {
                        path.Add(((YamlScalarNode)k).Value ?? "");
                        if (Find(v) is { } hit) return hit;
                        path.RemoveAt(path.Count - 1);
                    }
                    return null;
                case YamlSequenceNode q:
                    for (var i = 0; i < q.Children.Count; i++)
                    {
                        path.Add($"[{i}]");
                        if (Find(q.Children[i]) is { } hit) return hit;
                        path.RemoveAt(path.Count - 1);
                    }
                    return null;
                default:
                    return null;
            }
        }
        if (stream.Documents.Count == 0 || Find(stream.Documents[0].RootNode) is not { } scalar) return null;
        var field = string.Concat(path.Select((p, i) => i == 0 || p.StartsWith('[') ? p : "." + p));
        var clr = ClrTypeAt(type, path) ?? typeof(object);
        var range = Type.GetTypeCode(Nullable.GetUnderlyingType(clr) ?? clr) switch
        {
            TypeCode.Int32 => $"an integer from {int.MinValue} to {int.MaxValue}",
            TypeCode.Int64 => $"an integer from {long.MinValue} to {long.MaxValue}",
            TypeCode.Double => "a number",
            TypeCode.Boolean => "true or false",
            _ => null,
        };
        var what = e.InnerException is OverflowException ? "is out of range" : "is not valid";
        return range is null ? $"{field}: \"{scalar.Value}\" {what}" : $"{field}: {scalar.Value} {what} (expected {range})";
    }

    /// <summary>The CLR type of the property a YAML path leads to, following JSON property names; null if it cannot be followed.</summary>
    private static Type? ClrTypeAt(Type root, IReadOnlyList<string> path)
    {
        Type? t = root;
        foreach (var key in path)
        {
            if (t is null) return null;
            if (key.StartsWith('['))
            {
                t = t.IsArray ? t.GetElementType() : t.IsGenericType ? t.GetGenericArguments()[^1] : null;
                continue;
            }
            if (t.IsGenericType && t.GetGenericTypeDefinition() is var d && (d == typeof(IDictionary<,>) || d == typeof(Dictionary<,>)))
            {
                t = t.GetGenericArguments()[1];
                continue;
            }
            t = t.GetProperties().FirstOrDefault(p =>
                (p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), true).FirstOrDefault() as System.Text.Json.Serialization.JsonPropertyNameAttribute)?.Name == key
                || string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase))?.PropertyType;
        }
        return t;
    }

    /// <summary>
    /// The YAML parser's events, refusing aliases and nesting deeper than <c>maxDepth</c> before the
    /// document model is built (building it recurses once per level).
    /// </summary>
    private sealed class BoundedParser(IParser inner, string source, int maxDepth) : IParser
    {
        private int _depth;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (!inner.MoveNext()) return false;
            switch (inner.Current)
            {
                case AnchorAlias alias:
                    throw new InvalidObjectException($"{source}: line {alias.Start.Line}, column {alias.Start.Column}: YAML aliases (*{alias.Value}) are not accepted: write the value out");
                case MappingStart or SequenceStart when ++_depth > maxDepth:
                    throw new InvalidObjectException($"{source}: line {inner.Current.Start.Line}, column {inner.Current.Start.Column}: nested deeper than {maxDepth} levels");
                case MappingEnd or SequenceEnd:
                    _depth--;
                    break;
            }
            return true;
        }
    }

    /// <summary>
    /// Checks every quantity the scheduler reads before the client library parses them, because its
    /// error ("cannot be converted to fraction") names neither the object nor the field.
    /// </summary>
    private static void CheckQuantities(YamlMappingNode map, string kind, string where)
    {
        var name = Child(map, "metadata") is YamlMappingNode meta ? Scalar(meta, "name") ?? "<unnamed>" : "<unnamed>";
        var ns = Child(map, "metadata") is YamlMappingNode m2 ? Scalar(m2, "namespace") : null;
        var obj = kind == "Pod" ? $"Pod {ns ?? "default"}/{name}" : $"{kind} {name}";
        void Check(YamlNode? node, string field)
        {
            if (node is not YamlMappingNode amounts) return;
            foreach (var (k, v) in amounts.Children)
            {
                var text = (v as YamlScalarNode)?.Value;
                if (!Core.Model.Quantity.TryParse(text, out _))
                    throw new InvalidObjectException($"{where}: {obj}: {field}.{(k as YamlScalarNode)?.Value}: \"{text}\" is not a valid quantity (expected e.g. 500m, 4, 64Gi)");
            }
        }
        if (kind == "Node")
        {
            Check(Child(Child(map, "status"), "allocatable"), "status.allocatable");
            Check(Child(Child(map, "status"), "capacity"), "status.capacity");
        }
        else if (kind == "Pod" && Child(map, "spec") is YamlMappingNode spec)
        {
            Check(Child(spec, "overhead"), "spec.overhead");
            foreach (var list in new[] { "containers", "initContainers" })
            {
                if (Child(spec, list) is not YamlSequenceNode containers) continue;
                var i = 0;
                foreach (var c in containers)
                {
                    var resources = Child(c, "resources");
                    Check(Child(resources, "requests"), $"spec.{list}[{i}].resources.requests");
                    Check(Child(resources, "limits"), $"spec.{list}[{i}].resources.limits");
                    i++;
                }
            }
        }
    }

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static string Serialize(YamlNode node)
    {
        var doc = new YamlStream(new YamlDocument(node));
        using var w = new StringWriter();
        doc.Save(w, assignAnchors: false);
        return w.ToString();
    }
}
