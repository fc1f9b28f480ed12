using k8s;
using k8s.Models;
using Quorum.Kubernetes;
using YamlDotNet.RepresentationModel;

namespace Quorum.Tests.Manifests;

/// <summary>
/// The files under manifests/, read the way kubectl would apply them: the kustomization's resources
/// are what <c>kubectl apply -k manifests/</c> installs, each parsed strictly (an unknown field is an
/// error) into KubernetesClient's types and the project's CRD types.
/// </summary>
internal static class ShippedManifests
{
    public static string Folder { get; } = Path.Combine(TestPaths.RepoRoot, "manifests");

    public static string Examples { get; } = Path.Combine(Folder, "examples");

    /// <summary>Kinds KubernetesClient does not know: the project's own CRD types.</summary>
    public static IReadOnlyDictionary<string, Type> CustomTypes { get; } = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [$"{PodGroupResource.GroupVersion}/PodGroup"] = typeof(PodGroupResource),
        [$"{PodGroupResource.GroupVersion}/Topology"] = typeof(TopologyResource),
    };

    /// <summary>Every YAML file under manifests/ that holds Kubernetes objects (all but kustomize's own file).</summary>
    public static IEnumerable<string> ObjectFiles() =>
        Directory.EnumerateFiles(Folder, "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal);

    /// <summary>The files kustomization.yaml lists under resources, as full paths.</summary>
    public static IReadOnlyList<string> KustomizationResources()
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(Folder, "kustomization.yaml"))));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return ((YamlSequenceNode)root["resources"]).Select(n => Path.GetFullPath(Path.Combine(Folder, ((YamlScalarNode)n).Value!))).ToList();
    }

    /// <summary>What <c>kubectl apply -k manifests/</c> installs, parsed.</summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Installed() =>
        KustomizationResources().SelectMany(f => Parse(File.ReadAllText(f))).ToList();

    public static T Single<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        Installed().OfType<T>().Single(o => o.Metadata.Name == name);

    /// <summary>
    /// Parses multi-document YAML strictly into typed objects; a <c>List</c> contributes its items.
    /// Throws on an unknown kind or field, as <c>kubectl apply</c> with strict field validation would.
    /// </summary>
    public static IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var objects = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var doc in stream.Documents)
        {
            if (doc.RootNode is not YamlMappingNode map) continue;
            var items = Scalar(map, "kind") == "List" && map.Children.TryGetValue(new YamlScalarNode("items"), out var i) ? ((YamlSequenceNode)i).Cast<YamlMappingNode>() : [map];
            foreach (var item in items)
            {
                var parsed = KubernetesYaml.LoadAllFromString(Serialize(item), CustomTypes.ToDictionary(), strict: true).Single();
                objects.Add(parsed as IKubernetesObject<V1ObjectMeta>
                    ?? throw new InvalidOperationException($"{Scalar(item, "kind")} parsed as {parsed.GetType().Name}, not an object with metadata"));
            }
        }
        return objects;
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static string Serialize(YamlNode node)
    {
        using var w = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(w, assignAnchors: false);
        return w.ToString();
    }
}
