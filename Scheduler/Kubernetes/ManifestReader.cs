using k8s;
using k8s.Models;
using YamlDotNet.Core;
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

    /// <summary>Kinds read but not used by scheduling (Deployments, Services…), as "apiVersion/kind".</summary>
    public List<string> Ignored { get; } = [];
}

/// <summary>
/// Reads multi-document YAML and <c>List</c> objects, as <c>kubectl get nodes,pods -A -o yaml</c> writes
/// them, into typed objects. A document that is not valid YAML or not a Kubernetes object is refused
/// with the file and document number.
/// </summary>
public static class ManifestReader
{
    private static readonly Dictionary<string, Type> Types = new(StringComparer.Ordinal)
    {
        ["v1/Node"] = typeof(V1Node),
        ["v1/Pod"] = typeof(V1Pod),
        ["scheduling.k8s.io/v1/PriorityClass"] = typeof(V1PriorityClass),
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

    public static ManifestSet Read(string yaml, string source = "<input>", ManifestSet? into = null)
    {
        var set = into ?? new ManifestSet();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidObjectException($"{source}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            var root = stream.Documents[i].RootNode;
            if (root is YamlScalarNode { Value: null or "" }) continue;
            if (root is not YamlMappingNode map)
                throw new InvalidObjectException($"{source}: document {i + 1} is not a Kubernetes object (a mapping with apiVersion and kind)");
            AddObject(map, $"{source}: document {i + 1}", set);
        }
        return set;
    }

    private static void AddObject(YamlMappingNode map, string where, ManifestSet set)
    {
        var apiVersion = Scalar(map, "apiVersion");
        var kind = Scalar(map, "kind");
        if (apiVersion is null || kind is null) throw new InvalidObjectException($"{where}: apiVersion and kind must be set");
        if (kind.EndsWith("List", StringComparison.Ordinal))
        {
            if (map.Children.TryGetValue(new YamlScalarNode("items"), out var items) && items is YamlSequenceNode seq)
            {
                var n = 0;
                foreach (var item in seq)
                {
                    if (item is not YamlMappingNode m) throw new InvalidObjectException($"{where}: items[{n}] is not an object");
                    AddObject(m, $"{where} items[{n}]", set);
                    n++;
                }
            }
            return;
        }
        if (!Types.TryGetValue($"{apiVersion}/{kind}", out var type))
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
            var detail = e is YamlException ye ? $"{ye.InnerException?.Message ?? ye.Message}" : e.Message;
            throw new InvalidObjectException($"{where} ({kind} {name ?? "<unnamed>"}): {detail}");
        }
        switch (obj)
        {
            case V1Node node: set.Nodes.Add(node); break;
            case V1Pod pod: set.Pods.Add(pod); break;
            case PodGroupResource pg: set.PodGroups.Add(pg); break;
            case TopologyResource t: set.Topologies.Add(t); break;
            case V1PriorityClass pc: set.PriorityClasses.Add(pc); break;
            default: set.Ignored.Add(type.Name); break;
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
