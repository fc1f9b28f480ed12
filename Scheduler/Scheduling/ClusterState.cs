using k8s.Models;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;
using Quorum.Kubernetes;

namespace Quorum.Scheduling;

/// <summary>An object the scheduler refused to use, and why: reported on the object, never a crash.</summary>
/// <param name="SchedulerName">For a pod: its spec.schedulerName (another scheduler's pod is not Quorum's to comment on).</param>
public sealed record RefusedObject(string Kind, string? Namespace, string Name, string Message, string? SchedulerName = null);

/// <summary>
/// Everything the watches told the scheduler, mapped to the core model: the cache (nodes and bound
/// pods of every scheduler), the pending pods, PodGroups and Topologies. Objects that cannot be mapped
/// are kept aside as <see cref="Refused"/> so the host can say why on the object.
/// </summary>
/// <remarks>Not thread-safe: the host applies events and runs cycles on one loop.</remarks>
public sealed class ClusterState(ClusterCache cache)
{
    private readonly Dictionary<ObjectKey, Pod> _pods = [];
    private readonly Dictionary<ObjectKey, PodGroupSpec> _groups = [];
    private readonly Dictionary<(string Kind, string? Namespace, string Name), RefusedObject> _refused = [];
    private readonly Dictionary<string, int> _priorities = new(StringComparer.Ordinal);

    /// <summary>PodGroups that name a PriorityClass, as last seen, to resolve again when the class changes.</summary>
    private readonly Dictionary<ObjectKey, PodGroupResource> _groupObjects = [];

    public ClusterCache Cache => cache;

    private GangIndex? _gangs;

    /// <summary>
    /// The gangs of <paramref name="schedulerNames"/>, kept current by every event applied from now on
    /// (and by <see cref="RefreshPod"/> for the loop's own assumptions); one index per state.
    /// </summary>
    public GangIndex TrackGangs(IReadOnlyCollection<string> schedulerNames, string defaultTopology)
    {
        if (_gangs is not null)
        {
            if (!_gangs.SchedulerNames.SetEquals(schedulerNames) || _gangs.DefaultTopology != defaultTopology)
                throw new InvalidOperationException("the gangs are already tracked for other scheduler names or another default topology");
            return _gangs;
        }
        _gangs = new GangIndex(new HashSet<string>(schedulerNames, StringComparer.Ordinal), FindTopology, defaultTopology);
        foreach (var g in _groups.Values) _gangs.SetGroup(g);
        foreach (var p in _pods.Values) _gangs.SetPod(EffectivePod(p));
        return _gangs;
    }

    /// <summary>
    /// The loop assumed the pod, or forgot an assumption (a failed bind, an expired one): the gangs
    /// must count it as the cache now holds it.
    /// </summary>
    public void RefreshPod(ObjectKey key)
    {
        Version++;
        if (_pods.TryGetValue(key, out var pod)) _gangs?.SetPod(EffectivePod(pod));
    }

    /// <summary>Every pod not terminated, bound or not (members of groups are looked up here).</summary>
    public IReadOnlyCollection<Pod> Pods => _pods.Values;

    public IReadOnlyCollection<PodGroupSpec> Groups => _groups.Values;

    public IReadOnlyCollection<RefusedObject> Refused => _refused.Values;

    public Pod? FindPod(ObjectKey key) => _pods.GetValueOrDefault(key);

    public PodGroupSpec? FindGroup(ObjectKey key) => _groups.GetValueOrDefault(key);

    /// <summary>Bumped by every change that could let a waiting group fit (capacity freed or added).</summary>
    public long CapacityEpoch { get; private set; }

    private readonly HashSet<string> _freedNodes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changedNodes = new(StringComparer.Ordinal);

    /// <summary>
    /// Since the last call, nodes where a pod left (<c>Freed</c>) and nodes added or changed
    /// (<c>Changed</c>): the queueing hints for parked groups.
    /// </summary>
    public (IReadOnlyCollection<string> Freed, IReadOnlyCollection<string> Changed) TakeNodeEvents()
    {
        var result = (Freed: (IReadOnlyCollection<string>)[.. _freedNodes], Changed: (IReadOnlyCollection<string>)[.. _changedNodes]);
        _freedNodes.Clear();
        _changedNodes.Clear();
        return result;
    }

    /// <summary>Capacity was freed on <paramref name="node"/> by the loop itself (an expired assumption, a failed bind).</summary>
    public void Freed(string node)
    {
        _freedNodes.Add(node);
        CapacityEpoch++;
    }

    /// <summary>Bumped whenever a pod is newly bound or assumed on a node: pods with pod affinity or spread constraints may fit now.</summary>
    public long AssignedEpoch { get; private set; }

    /// <summary>The loop assumed a pod on a node.</summary>
    public void Assigned() => AssignedEpoch++;

    /// <summary>Bumped by every applied event: what was derived from an unchanged state need not be derived again.</summary>
    public long Version { get; private set; }

    public TopologySpec? FindTopology(string name) => cache.Topologies.GetValueOrDefault(name);

    /// <summary>A PriorityClass's value, or null when there is none of that name.</summary>
    public int? FindPriority(string priorityClassName) => _priorities.TryGetValue(priorityClassName, out var v) ? v : null;

    public void ApplyNode(V1Node node, bool deleted)
    {
        Version++;
        var name = node.Metadata?.Name ?? "";
        if (deleted)
        {
            cache.RemoveNode(name);
            _refused.Remove(("Node", null, name));
            return;
        }
        try
        {
            cache.AddOrUpdateNode(ObjectMapper.ToNode(node));
            _refused.Remove(("Node", null, name));
            _changedNodes.Add(name);
            CapacityEpoch++;
        }
        catch (InvalidObjectException e)
        {
            // A node the scheduler cannot read takes no new pods; pods already on it keep counting.
            cache.RemoveNode(name);
            _refused[("Node", null, name)] = new RefusedObject("Node", null, name, e.Message);
        }
    }

    public void ApplyPod(V1Pod pod, bool deleted)
    {
        Version++;
        var ns = pod.Metadata?.NamespaceProperty ?? "default";
        var name = pod.Metadata?.Name ?? "";
        var key = new ObjectKey(ns, name);
        var heldOn = cache.FindPod(key)?.NodeName;
        if (deleted)
        {
            _pods.Remove(key);
            _gangs?.RemovePod(key);
            _refused.Remove(("Pod", ns, name));
            if (cache.RemovePod(key).Outcome == CacheOutcome.Applied && heldOn is not null) Freed(heldOn);
            return;
        }
        Pod mapped;
        try
        {
            mapped = ObjectMapper.ToPod(pod);
        }
        catch (InvalidObjectException e)
        {
            _refused[("Pod", ns, name)] = new RefusedObject("Pod", ns, name, e.Message, pod.Spec?.SchedulerName ?? "default-scheduler");
            return;
        }
        _refused.Remove(("Pod", ns, name));
        if (mapped.Terminated) _pods.Remove(key);
        else _pods[key] = mapped;
        // Every pod goes to the cache, unbound ones too: a pending pod may replace a bound one of the
        // same name (recreated while a watch was down, seen only as an update by the relist). A
        // terminated or unbound pod the cache applied released what an earlier state held.
        var frees = mapped.Terminated || !mapped.IsBound;
        if (mapped.IsBound && !mapped.Terminated && heldOn is null) AssignedEpoch++;
        if (cache.AddOrUpdatePod(mapped).Outcome == CacheOutcome.Applied && frees && heldOn is not null) Freed(heldOn);
        if (mapped.Terminated) _gangs?.RemovePod(key);
        else _gangs?.SetPod(EffectivePod(mapped));
    }

    public void ApplyPodGroup(PodGroupResource group, bool deleted)
    {
        Version++;
        var ns = group.Metadata?.NamespaceProperty ?? "default";
        var name = group.Metadata?.Name ?? "";
        var key = new ObjectKey(ns, name);
        _refused.Remove(("PodGroup", ns, name));
        if (deleted)
        {
            _groups.Remove(key);
            _groupObjects.Remove(key);
            _gangs?.RemoveGroup(key);
            return;
        }
        if (group.Spec?.PriorityClassName is { Length: > 0 }) _groupObjects[key] = group;
        else _groupObjects.Remove(key);
        try
        {
            _groups[key] = ObjectMapper.ToPodGroup(group, FindPriority);
            _gangs?.SetGroup(_groups[key]);
        }
        catch (InvalidObjectException e)
        {
            _groups.Remove(key);
            _gangs?.RemoveGroup(key);
            _refused[("PodGroup", ns, name)] = new RefusedObject("PodGroup", ns, name, e.Message);
        }
    }

    public void ApplyTopology(TopologyResource topology, bool deleted)
    {
        Version++;
        var name = topology.Metadata?.Name ?? "";
        _refused.Remove(("Topology", null, name));
        try
        {
            if (deleted) cache.RemoveTopology(name);
            else cache.SetTopology(ObjectMapper.ToTopology(topology));
        }
        catch (InvalidObjectException e)
        {
            cache.RemoveTopology(name);
            _refused[("Topology", null, name)] = new RefusedObject("Topology", null, name, e.Message);
        }
        _gangs?.TopologyChanged(name);
    }

    /// <summary>Bumped whenever a claim, volume or storage class changes: pods with claims may fit now.</summary>
    public long VolumesEpoch { get; private set; }

    public void ApplyClaim(V1PersistentVolumeClaim claim, bool deleted) =>
        ApplyVolumeObject("PersistentVolumeClaim", claim.Metadata?.NamespaceProperty ?? "default", claim.Metadata?.Name ?? "", deleted, (v, key) =>
            deleted ? v with { Claims = v.Claims.Remove(new ObjectKey(key.Namespace!, key.Name)) }
                : v with { Claims = v.Claims.SetItem(new ObjectKey(key.Namespace!, key.Name), ObjectMapper.ToClaim(claim)) });

    public void ApplyVolume(V1PersistentVolume volume, bool deleted) =>
        ApplyVolumeObject("PersistentVolume", null, volume.Metadata?.Name ?? "", deleted, (v, key) =>
            deleted ? v with { Volumes = v.Volumes.Remove(key.Name) } : v with { Volumes = v.Volumes.SetItem(key.Name, ObjectMapper.ToVolume(volume)) });

    public void ApplyStorageClass(V1StorageClass storageClass, bool deleted) =>
        ApplyVolumeObject("StorageClass", null, storageClass.Metadata?.Name ?? "", deleted, (v, key) =>
            deleted ? v with { Classes = v.Classes.Remove(key.Name) } : v with { Classes = v.Classes.SetItem(key.Name, ObjectMapper.ToStorageClass(storageClass)) });

    public void ApplyCsiNode(V1CSINode csiNode, bool deleted) =>
        ApplyVolumeObject("CSINode", null, csiNode.Metadata?.Name ?? "", deleted, (v, key) =>
            deleted ? v with { AttachLimits = v.AttachLimits.Remove(key.Name) }
                : ObjectMapper.ToAttachLimits(csiNode) is var (node, limits) ? v with { AttachLimits = v.AttachLimits.SetItem(node, limits) } : v);

    private void ApplyVolumeObject(string kind, string? ns, string name, bool deleted,
        Func<VolumeCatalog, (string? Namespace, string Name), VolumeCatalog> change)
    {
        Version++;
        VolumesEpoch++;
        _refused.Remove((kind, ns, name));
        try
        {
            cache.Volumes = change(cache.Volumes, (ns, name));
        }
        catch (InvalidObjectException e)
        {
            // Unreadable: as if absent, so pods that need it wait and say so.
            cache.Volumes = Remove(cache.Volumes, kind, ns, name);
            _refused[(kind, ns, name)] = new RefusedObject(kind, ns, name, e.Message);
        }
    }

    private static VolumeCatalog Remove(VolumeCatalog v, string kind, string? ns, string name) => kind switch
    {
        "PersistentVolumeClaim" => v with { Claims = v.Claims.Remove(new ObjectKey(ns!, name)) },
        "PersistentVolume" => v with { Volumes = v.Volumes.Remove(name) },
        "CSINode" => v with { AttachLimits = v.AttachLimits.Remove(name) },
        _ => v with { Classes = v.Classes.Remove(name) },
    };

    public void ApplyPriorityClass(V1PriorityClass priorityClass, bool deleted)
    {
        Version++;
        var name = priorityClass.Metadata?.Name ?? "";
        if (deleted) _priorities.Remove(name);
        else _priorities[name] = priorityClass.Value ?? 0;
        // Watches run in parallel: a PodGroup may arrive before its PriorityClass, or outlive it.
        // Its priority is resolved again whenever the class changes.
        foreach (var g in _groupObjects.Values.Where(g => g.Spec?.PriorityClassName == name).ToList()) ApplyPodGroup(g, deleted: false);
    }

    /// <summary>
    /// A pod as the scheduler must see it: one assumed in the cache (its bind handed over, not yet
    /// visible in a watch event) counts as bound there, or its gang would be placed a second time.
    /// </summary>
    private Pod EffectivePod(Pod p) => !p.IsBound && cache.IsAssumed(p.Key) && cache.FindPod(p.Key) is { } assumed ? assumed : p;

    /// <summary>The gangs these schedulers should try now, with refusals to report, assembled from every pod at once.</summary>
    public AssembledGangs Assemble(IReadOnlyCollection<string> schedulerNames, string defaultTopology) =>
        GangAssembler.Assemble(_groups.Values, _pods.Values.Select(EffectivePod), new HashSet<string>(schedulerNames, StringComparer.Ordinal),
            FindTopology, defaultTopology);
}
