using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;
using Quorum.Kubernetes;

namespace Quorum.Cli;

/// <summary>
/// A cluster built from manifests instead of a watch: the same cache, snapshot and gang assembly the
/// scheduler runs, fed once. Bound pods are treated as running.
/// </summary>
public sealed class OfflineCluster
{
    private OfflineCluster(ClusterCache cache, ClusterSnapshot snapshot, List<PodGroupSpec> groups, List<Pod> pods)
    {
        Cache = cache;
        Snapshot = snapshot;
        Groups = groups;
        Pods = pods;
    }

    public ClusterCache Cache { get; }
    public ClusterSnapshot Snapshot { get; }
    public IReadOnlyList<PodGroupSpec> Groups { get; }
    public IReadOnlyList<Pod> Pods { get; }

    /// <summary>Maps every object; all problems are collected and thrown together, each naming object and field.</summary>
    public static OfflineCluster Build(ManifestSet set, TimeProvider? time = null)
    {
        var errors = new List<string>();
        T? Try<T>(Func<T> map) where T : class
        {
            try
            {
                return map();
            }
            catch (InvalidObjectException e)
            {
                errors.Add(e.Message);
                return null;
            }
        }

        var cache = new ClusterCache(time);
        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in set.Nodes)
        {
            if (Try(() => ObjectMapper.ToNode(n)) is not { } node) continue;
            if (!nodeNames.Add(node.Name)) { errors.Add($"Node {node.Name}: metadata.name: duplicate node"); continue; }
            cache.AddOrUpdateNode(node);
        }
        var topologies = set.Topologies.Select(t => Try(() => ObjectMapper.ToTopology(t))).OfType<TopologySpec>().ToList();
        if (topologies.Count == 0 && set.Topologies.Count == 0) topologies.Add(TopologySpec.Default);
        foreach (var t in topologies) cache.SetTopology(t);

        var priorities = set.PriorityClasses.Where(p => p.Metadata?.Name is not null)
            .ToDictionary(p => p.Metadata.Name, p => p.Value, StringComparer.Ordinal);
        var groups = set.PodGroups.Select(g => Try(() => ObjectMapper.ToPodGroup(g, n => priorities.TryGetValue(n, out var v) ? v : null)))
            .OfType<PodGroupSpec>().ToList();
        var pods = new List<Pod>();
        var podKeys = new HashSet<ObjectKey>();
        foreach (var p in set.Pods)
        {
            if (Try(() => ObjectMapper.ToPod(p)) is not { } pod) continue;
            if (!podKeys.Add(pod.Key)) { errors.Add($"Pod {pod.Key}: metadata.name: duplicate pod"); continue; }
            pods.Add(pod);
            if (pod.IsBound) cache.AddOrUpdatePod(pod);
        }
        var groupKeys = new HashSet<ObjectKey>();
        foreach (var g in groups)
            if (!groupKeys.Add(g.Key)) errors.Add($"PodGroup {g.Key}: metadata.name: duplicate PodGroup");
        if (errors.Count > 0) throw new InvalidObjectException(string.Join(Environment.NewLine, errors));

        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        return new OfflineCluster(cache, snapshot, groups, pods);
    }

    public AssembledGangs Assemble(string schedulerName, string? defaultTopology) =>
        GangAssembler.Assemble(Groups, Pods, schedulerName,
            name => Cache.Topologies.TryGetValue(name, out var t) ? t : null, defaultTopology);
}
