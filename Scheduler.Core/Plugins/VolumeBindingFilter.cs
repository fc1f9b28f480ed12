using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Plugins;

/// <summary>
/// kube-scheduler's VolumeBinding filter for PersistentVolumeClaims: a claim must exist and not be
/// deleting; a bound claim's volume must admit the node (its node affinity: a local disk, a zone); an
/// unbound claim of an Immediate class waits for the PV controller; an unbound claim of a
/// WaitForFirstConsumer class needs, on the node, an available volume that fits it or a class that can
/// provision there (allowedTopologies). What binds it is the scheduler's choice of node
/// (see <see cref="VolumePlan"/>).
/// </summary>
public sealed class VolumeBindingFilter : INodeFilter
{
    public const string NodeConflict = "node(s) had volume node affinity conflict";
    public const string BindConflict = "node(s) didn't find available persistent volumes to bind";
    public const string UnboundImmediate = "pod has unbound immediate PersistentVolumeClaims";

    public string Name => "VolumeBinding";

    // No freed capacity helps: a claim, a volume or a class must change.
    public StatusCode FailureCode => StatusCode.Unresolvable;

    // The answer depends on the volume catalog, which changes without any node changing.
    public bool NodeSpecOnly => false;

    public bool Passes(Pod pod, NodeInfo node) => pod.Claims.IsDefaultOrEmpty || Failure(pod, node.Node, node.Snapshot.Volumes) is null;

    public void Explain(Pod pod, NodeInfo node, List<string> reasons)
    {
        if (Failure(pod, node.Node, node.Snapshot.Volumes) is { } reason) reasons.Add(reason);
    }

    internal static string? Failure(Pod pod, Node node, VolumeCatalog catalog)
    {
        foreach (var name in pod.Claims)
        {
            if (!catalog.Claims.TryGetValue(new ObjectKey(pod.Key.Namespace, name), out var claim)) return $"persistentvolumeclaim \"{name}\" not found";
            if (claim.Deleting) return $"persistentvolumeclaim \"{name}\" is being deleted";
            if (claim.VolumeName is { Length: > 0 } pv)
            {
                if (!catalog.Volumes.TryGetValue(pv, out var volume)) return $"persistentvolume \"{pv}\" not found";
                if (!volume.AllowsNode(node)) return NodeConflict;
                continue;
            }
            if (claim.StorageClassName is not { Length: > 0 } cls || !catalog.Classes.TryGetValue(cls, out var sc) || sc.BindingMode == VolumeBindingMode.Immediate)
                return UnboundImmediate;
            if (catalog.MatchingVolume(claim, node) is not null) continue;
            if (sc.CanProvision && sc.AllowsNode(node)) continue;
            return BindConflict;
        }
        return null;
    }
}

/// <summary>
/// kube-scheduler's VolumeRestrictions for ReadWriteOncePod: a claim with that access mode serves one
/// pod in the whole cluster; another pod using it must wait until that pod is gone.
/// </summary>
public sealed class VolumeRestrictionsFilter : INodeFilter
{
    public const string Reason = "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";

    public string Name => "VolumeRestrictions";
    public StatusCode FailureCode => StatusCode.Unschedulable;
    public bool NodeSpecOnly => false;

    private static readonly object Key = new();

    public bool Passes(Pod pod, NodeInfo node)
    {
        if (pod.Claims.IsDefaultOrEmpty) return true;
        var catalog = node.Snapshot.Volumes;
        HashSet<ObjectKey>? inUse = null;
        foreach (var name in pod.Claims)
        {
            var key = new ObjectKey(pod.Key.Namespace, name);
            if (!catalog.Claims.TryGetValue(key, out var claim) || !claim.IsReadWriteOncePod) continue;
            inUse ??= ClaimsInUse(pod, node.Snapshot);
            if (inUse.Contains(key)) return false;
        }
        return true;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) => reasons.Add(Reason);

    /// <summary>Claims used by pods placed anywhere on the snapshot (tentative ones included), other than this pod; cached per pod generation.</summary>
    private static HashSet<ObjectKey> ClaimsInUse(Pod pod, ClusterSnapshot snapshot) => snapshot.PerPod(Key, pod, static (pod, snapshot) =>
    {
        var set = new HashSet<ObjectKey>();
        foreach (var n in snapshot.Nodes)
            foreach (var p in n.Pods)
                if (p.Key != pod.Key && !p.Claims.IsDefaultOrEmpty)
                    foreach (var c in p.Claims) set.Add(new ObjectKey(p.Key.Namespace, c));
        return set;
    });
}

/// <summary>What binding a pod's WaitForFirstConsumer claims on its chosen node takes, before the pod's own bind.</summary>
public abstract record VolumeAction(ObjectKey Claim);

/// <summary>Promise an available volume to the claim (PV spec.claimRef); the PV controller completes the binding.</summary>
public sealed record BindVolume(ObjectKey Claim, string ClaimUid, string Volume) : VolumeAction(Claim);

/// <summary>Ask the class's provisioner for a volume on the node (the claim's volume.kubernetes.io/selected-node annotation).</summary>
public sealed record SelectNode(ObjectKey Claim, string Node) : VolumeAction(Claim);

/// <summary>kube-scheduler's volume binder decisions for placed pods: static volumes first (smallest that fits), else provisioning.</summary>
public static class VolumePlan
{
    public const string SelectedNodeAnnotation = "volume.kubernetes.io/selected-node";

    /// <param name="taken">Volumes already promised in this hand-over (a gang's pods must not share one).</param>
    public static IReadOnlyList<VolumeAction> For(Pod pod, Node node, VolumeCatalog catalog, HashSet<string> taken)
    {
        if (pod.Claims.IsDefaultOrEmpty) return [];
        var actions = new List<VolumeAction>();
        foreach (var name in pod.Claims)
        {
            if (!catalog.Claims.TryGetValue(new ObjectKey(pod.Key.Namespace, name), out var claim) || claim.VolumeName is { Length: > 0 }) continue;
            if (claim.StorageClassName is not { Length: > 0 } cls || !catalog.Classes.TryGetValue(cls, out var sc) || sc.BindingMode != VolumeBindingMode.WaitForFirstConsumer) continue;
            if (catalog.MatchingVolume(claim, node, taken) is { } volume)
            {
                taken.Add(volume.Name);
                actions.Add(new BindVolume(claim.Key, claim.Uid, volume.Name));
            }
            else actions.Add(new SelectNode(claim.Key, node.Name));
        }
        return actions;
    }
}

/// <summary>
/// kube-scheduler's NodeVolumeLimits for CSI drivers: the volumes of one driver attached to a node
/// (those of the pods on it, each counted once, plus the pod's new ones) may not exceed the count its
/// CSINode allows. Nodes without a CSINode limit for the driver are not limited.
/// </summary>
public sealed class NodeVolumeLimitsFilter : INodeFilter
{
    public const string Reason = "node(s) exceed max volume count";

    public string Name => "NodeVolumeLimits";
    public StatusCode FailureCode => StatusCode.Unschedulable;
    public bool NodeSpecOnly => false;

    public bool Passes(Pod pod, NodeInfo node)
    {
        if (pod.Claims.IsDefaultOrEmpty) return true;
        var catalog = node.Snapshot.Volumes;
        if (!catalog.AttachLimits.TryGetValue(node.Name, out var limits) || limits.Count == 0) return true;
        Dictionary<string, HashSet<string>>? wanted = null;
        foreach (var claim in pod.Claims)
            if (catalog.AttachmentOf(pod.Key.Namespace, claim) is { } a && limits.ContainsKey(a.Driver))
                Add(wanted ??= new Dictionary<string, HashSet<string>>(StringComparer.Ordinal), a);
        if (wanted is null) return true;
        foreach (var other in node.Pods)
        {
            if (other.Key == pod.Key || other.Claims.IsDefaultOrEmpty) continue;
            foreach (var claim in other.Claims)
                if (catalog.AttachmentOf(other.Key.Namespace, claim) is { } a && wanted.ContainsKey(a.Driver)) Add(wanted, a);
        }
        foreach (var (driver, volumes) in wanted)
            if (volumes.Count > limits[driver]) return false;
        return true;
    }

    public void Explain(Pod pod, NodeInfo node, List<string> reasons) => reasons.Add(Reason);

    private static void Add(Dictionary<string, HashSet<string>> byDriver, (string Driver, string Volume) a)
    {
        if (!byDriver.TryGetValue(a.Driver, out var set)) byDriver[a.Driver] = set = new HashSet<string>(StringComparer.Ordinal);
        set.Add(a.Volume);
    }
}
