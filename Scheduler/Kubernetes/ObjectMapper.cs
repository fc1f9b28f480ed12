using System.Collections.Frozen;
using System.Collections.Immutable;
using k8s.Models;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Kubernetes;

/// <summary>
/// Maps Kubernetes objects to the core model. The one place that reads client types; everything it
/// cannot use is refused with an <see cref="InvalidObjectException"/> naming the object and field.
/// </summary>
public static class ObjectMapper
{
    public static Node ToNode(V1Node node)
    {
        var name = node.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("Node <unnamed>", "metadata.name", "must be set");
        var where = $"Node {name}";
        var allocatable = ToResources(node.Status?.Allocatable, where, "status.allocatable");
        var taints = (node.Spec?.Taints ?? []).Select((t, i) => new Taint(
            t.Key ?? throw new InvalidObjectException(where, $"spec.taints[{i}].key", "must be set"),
            t.Value, ParseEffect(t.Effect, where, $"spec.taints[{i}].effect") ?? TaintEffect.NoSchedule)).ToImmutableArray();
        return new Node(name, allocatable, node.Metadata!.Labels?.ToDictionary() ?? [], taints, node.Spec?.Unschedulable ?? false);
    }

    public static Pod ToPod(V1Pod pod)
    {
        var ns = pod.Metadata?.NamespaceProperty;
        var name = pod.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("Pod <unnamed>", "metadata.name", "must be set");
        if (string.IsNullOrEmpty(ns)) ns = "default";
        var where = $"Pod {ns}/{name}";
        var spec = pod.Spec ?? throw new InvalidObjectException(where, "spec", "must be set");

        var containers = (spec.Containers ?? []).Select((c, i) =>
            new ContainerRequests(ToResources(c.Resources?.Requests, where, $"spec.containers[{i}].resources.requests", c.Resources?.Limits)));
        var inits = (spec.InitContainers ?? []).Select((c, i) =>
            new ContainerRequests(ToResources(c.Resources?.Requests, where, $"spec.initContainers[{i}].resources.requests", c.Resources?.Limits),
                IsSidecar: c.RestartPolicy == "Always"));
        var overhead = ToResources(spec.Overhead, where, "spec.overhead");
        var requests = PodRequests.Compute(containers.ToList(), inits.ToList(), overhead);

        var labels = pod.Metadata!.Labels ?? new Dictionary<string, string>();
        labels.TryGetValue(WellKnown.PodGroupLabel, out var group);
        labels.TryGetValue(WellKnown.SubGroupLabel, out var subGroup);
        var phase = pod.Status?.Phase;

        return new Pod(new ObjectKey(ns, name), requests)
        {
            Uid = pod.Metadata.Uid ?? "",
            NodeSelector = spec.NodeSelector?.ToDictionary() ?? [],
            RequiredNodeAffinity = ToTerms(spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution, where),
            Tolerations = [.. (spec.Tolerations ?? []).Select((t, i) => ToToleration(t, where, $"spec.tolerations[{i}]"))],
            Labels = labels.ToFrozenDictionary(StringComparer.Ordinal),
            Affinity = ToPodAffinity(spec.Affinity, ns, labels, where),
            HostPorts = ToHostPorts(spec),
            SpreadConstraints = [.. (spec.TopologySpreadConstraints ?? []).Select((c, i) => ToSpread(c, labels, where, $"spec.topologySpreadConstraints[{i}]"))],
            // Generic ephemeral volumes make a claim named <pod>-<volume>.
            Claims = [.. (spec.Volumes ?? []).Select(v => v.PersistentVolumeClaim?.ClaimName ?? (v.Ephemeral is not null ? $"{name}-{v.Name}" : null))
                .OfType<string>().Where(c => c.Length > 0).Distinct()],
            Priority = spec.Priority ?? 0,
            Group = string.IsNullOrEmpty(group) ? null : new GroupMembership(group, string.IsNullOrEmpty(subGroup) ? null : subGroup),
            NodeName = string.IsNullOrEmpty(spec.NodeName) ? null : spec.NodeName,
            SchedulerName = string.IsNullOrEmpty(spec.SchedulerName) ? "default-scheduler" : spec.SchedulerName,
            CreationTimestamp = pod.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : default,
            SchedulingGated = spec.SchedulingGates is { Count: > 0 },
            Terminated = phase is "Succeeded" or "Failed",
            Running = phase == "Running",
        };
    }

    public static ClaimInfo ToClaim(V1PersistentVolumeClaim claim)
    {
        var name = claim.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("PersistentVolumeClaim <unnamed>", "metadata.name", "must be set");
        var ns = string.IsNullOrEmpty(claim.Metadata!.NamespaceProperty) ? "default" : claim.Metadata.NamespaceProperty;
        var where = $"PersistentVolumeClaim {ns}/{name}";
        var request = claim.Spec?.Resources?.Requests?.TryGetValue("storage", out var q) == true ? Bytes(q, where, "spec.resources.requests.storage") : 0;
        return new ClaimInfo(new ObjectKey(ns, name), claim.Metadata.Uid ?? "", NullIfEmpty(claim.Spec?.VolumeName), NullIfEmpty(claim.Spec?.StorageClassName),
            request, [.. claim.Spec?.AccessModes ?? []], claim.Metadata.DeletionTimestamp is not null);
    }

    public static VolumeInfo ToVolume(V1PersistentVolume volume)
    {
        var name = volume.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("PersistentVolume <unnamed>", "metadata.name", "must be set");
        var where = $"PersistentVolume {name}";
        var capacity = volume.Spec?.Capacity?.TryGetValue("storage", out var q) == true ? Bytes(q, where, "spec.capacity.storage") : 0;
        var claimRef = volume.Spec?.ClaimRef is { Name: { Length: > 0 } claimName } r ? new ObjectKey(string.IsNullOrEmpty(r.NamespaceProperty) ? "default" : r.NamespaceProperty, claimName) : (ObjectKey?)null;
        var affinity = ToTerms(volume.Spec?.NodeAffinity?.Required, where, "spec.nodeAffinity.required");
        return new VolumeInfo(name, NullIfEmpty(volume.Spec?.StorageClassName), capacity, [.. volume.Spec?.AccessModes ?? []], affinity, claimRef,
            volume.Status?.Phase is "Released" or "Failed") { CsiDriver = NullIfEmpty(volume.Spec?.Csi?.Driver) };
    }

    /// <summary>A CSINode's attach limits per driver (drivers without allocatable.count are unlimited).</summary>
    public static (string Node, ImmutableDictionary<string, int> Limits) ToAttachLimits(V1CSINode csiNode)
    {
        var name = csiNode.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("CSINode <unnamed>", "metadata.name", "must be set");
        var limits = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        foreach (var (d, i) in (csiNode.Spec?.Drivers ?? []).Select((d, i) => (d, i)))
        {
            if (d.Allocatable?.Count is not { } count) continue;
            if (count < 0) throw new InvalidObjectException($"CSINode {name}", $"spec.drivers[{i}].allocatable.count", $"{count} must not be negative");
            limits[d.Name] = count;
        }
        return (name, limits.ToImmutable());
    }

    public static StorageClassInfo ToStorageClass(V1StorageClass storageClass)
    {
        var name = storageClass.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("StorageClass <unnamed>", "metadata.name", "must be set");
        var where = $"StorageClass {name}";
        var mode = storageClass.VolumeBindingMode switch
        {
            null or "" or "Immediate" => VolumeBindingMode.Immediate,
            "WaitForFirstConsumer" => VolumeBindingMode.WaitForFirstConsumer,
            var other => throw new InvalidObjectException(where, "volumeBindingMode", $"\"{other}\" is not one of Immediate, WaitForFirstConsumer"),
        };
        // allowedTopologies terms match node labels like node selector terms (In on label values).
        var topologies = (storageClass.AllowedTopologies ?? []).Select(t => new NodeSelectorTerm(
            [.. (t.MatchLabelExpressions ?? []).Select(e => new NodeSelectorRequirement(e.Key ?? "", NodeSelectorOperator.In, [.. e.Values ?? []]))], [])).ToImmutableArray();
        return new StorageClassInfo(name, storageClass.Provisioner, mode, topologies);
    }

    private static long Bytes(ResourceQuantity quantity, string where, string field)
    {
        try
        {
            return Quantity.ParseResource("memory", quantity.ToString() ?? "");
        }
        catch (FormatException e)
        {
            throw new InvalidObjectException(where, field, e.Message);
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    public static TopologySpec ToTopology(TopologyResource topology)
    {
        var name = topology.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("Topology <unnamed>", "metadata.name", "must be set");
        var levels = topology.Spec?.Levels?.Select(l => l.NodeLabel ?? "").ToList() ?? [];
        var error = TopologySpec.Validate(levels);
        if (error is not null)
        {
            var colon = error.IndexOf(':', StringComparison.Ordinal);
            throw new InvalidObjectException($"Topology {name}", error[..colon], error[(colon + 2)..]);
        }
        return new TopologySpec(name, levels);
    }

    /// <param name="group">The object.</param>
    /// <param name="priorityOf">Resolves a PriorityClass name to its value; null when unknown.</param>
    public static PodGroupSpec ToPodGroup(PodGroupResource group, Func<string, int?>? priorityOf = null)
    {
        var name = group.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("PodGroup <unnamed>", "metadata.name", "must be set");
        var ns = string.IsNullOrEmpty(group.Metadata!.NamespaceProperty) ? "default" : group.Metadata.NamespaceProperty;
        var spec = group.Spec ?? new PodGroupSpecResource();
        var priority = 0;
        if (spec.PriorityClassName is { Length: > 0 } pc)
        {
            priority = priorityOf?.Invoke(pc)
                ?? throw new InvalidObjectException($"PodGroup {ns}/{name}", "spec.priorityClassName", $"PriorityClass \"{pc}\" does not exist");
        }
        return new PodGroupSpec(new ObjectKey(ns, name))
        {
            MinMember = spec.MinMember,
            MinSubGroup = spec.MinSubGroup,
            PriorityClassName = spec.PriorityClassName,
            Priority = priority,
            ScheduleTimeoutSeconds = spec.ScheduleTimeoutSeconds,
            TopologyConstraint = ToConstraint(spec.TopologyConstraint),
            SubGroups = [.. (spec.SubGroups ?? []).Select(s => new SubGroupSpec(s.Name ?? "", s.Parent, s.MinMember, s.MinSubGroup, ToConstraint(s.TopologyConstraint)))],
            CreationTimestamp = group.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : default,
        };
    }

    private static TopologyConstraint? ToConstraint(TopologyConstraintResource? c) =>
        c is null ? null : new TopologyConstraint(c.Topology, c.RequiredTopologyLevel, c.PreferredTopologyLevel);

    /// <summary>Requests in scheduler units; a resource with only a limit requests the limit (API server defaulting).</summary>
    private static ResourceVector ToResources(IDictionary<string, ResourceQuantity>? requests, string where, string field,
        IDictionary<string, ResourceQuantity>? limits = null)
    {
        var amounts = new Dictionary<string, long>(StringComparer.Ordinal);
        void Read(IDictionary<string, ResourceQuantity>? from, string f, bool onlyMissing)
        {
            if (from is null) return;
            foreach (var (resource, quantity) in from)
            {
                if (onlyMissing && amounts.ContainsKey(resource)) continue;
                var text = quantity?.ToString() ?? "";
                try
                {
                    amounts[resource] = Quantity.ParseResource(resource, text);
                }
                catch (FormatException e)
                {
                    throw new InvalidObjectException(where, $"{f}.{resource}", e.Message);
                }
            }
        }
        Read(requests, field, onlyMissing: false);
        Read(limits, field.Replace(".requests", ".limits", StringComparison.Ordinal), onlyMissing: true);
        return ResourceVector.FromNamed(amounts);
    }

    private static ImmutableArray<NodeSelectorTerm> ToTerms(V1NodeSelector? selector, string where,
        string field = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution")
    {
        if (selector?.NodeSelectorTerms is null) return [];
        return [.. selector.NodeSelectorTerms.Select((t, i) => new NodeSelectorTerm(
            [.. (t.MatchExpressions ?? []).Select((r, j) => ToRequirement(r, where, $"{field}.nodeSelectorTerms[{i}].matchExpressions[{j}]"))],
            [.. (t.MatchFields ?? []).Select((r, j) => ToRequirement(r, where, $"{field}.nodeSelectorTerms[{i}].matchFields[{j}]"))]))];
    }

    private static PodAffinity ToPodAffinity(V1Affinity? affinity, string ns, IDictionary<string, string> labels, string where)
    {
        var a = affinity?.PodAffinity;
        var anti = affinity?.PodAntiAffinity;
        if (a is null && anti is null) return PodAffinity.None;
        const string affinityField = "spec.affinity.podAffinity", antiField = "spec.affinity.podAntiAffinity";
        const string required = "requiredDuringSchedulingIgnoredDuringExecution", preferred = "preferredDuringSchedulingIgnoredDuringExecution";
        ImmutableArray<WeightedPodAffinityTerm> Weighted(IList<V1WeightedPodAffinityTerm>? terms, string field) =>
        [
            .. (terms ?? []).Select((t, i) =>
            {
                if (t.Weight is < 1 or > 100) throw new InvalidObjectException(where, $"{field}[{i}].weight", $"{t.Weight} must be between 1 and 100");
                return new WeightedPodAffinityTerm(t.Weight, ToAffinityTerm(t.PodAffinityTerm, ns, labels, where, $"{field}[{i}].podAffinityTerm"));
            }),
        ];
        var result = new PodAffinity
        {
            Required = [.. (a?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select((t, i) => ToAffinityTerm(t, ns, labels, where, $"{affinityField}.{required}[{i}]"))],
            RequiredAnti = [.. (anti?.RequiredDuringSchedulingIgnoredDuringExecution ?? []).Select((t, i) => ToAffinityTerm(t, ns, labels, where, $"{antiField}.{required}[{i}]"))],
            Preferred = Weighted(a?.PreferredDuringSchedulingIgnoredDuringExecution, $"{affinityField}.{preferred}"),
            PreferredAnti = Weighted(anti?.PreferredDuringSchedulingIgnoredDuringExecution, $"{antiField}.{preferred}"),
        };
        return result.IsEmpty ? PodAffinity.None : result;
    }

    private static PodAffinityTerm ToAffinityTerm(V1PodAffinityTerm? term, string ns, IDictionary<string, string> labels, string where, string field)
    {
        if (term is null) throw new InvalidObjectException(where, field, "must be set");
        if (string.IsNullOrEmpty(term.TopologyKey)) throw new InvalidObjectException(where, $"{field}.topologyKey", "must be set");
        var selector = ToSelector(term.LabelSelector, where, $"{field}.labelSelector");
        // matchLabelKeys / mismatchLabelKeys: the pod's own values, ANDed into the selector (as the API
        // server does from v1.31; doing it here again changes nothing then, and covers older servers).
        if (selector is not null)
        {
            var extra = new List<NodeSelectorRequirement>();
            foreach (var k in term.MatchLabelKeys ?? [])
                if (labels.TryGetValue(k, out var v)) extra.Add(new NodeSelectorRequirement(k, NodeSelectorOperator.In, [v]));
            foreach (var k in term.MismatchLabelKeys ?? [])
                if (labels.TryGetValue(k, out var v)) extra.Add(new NodeSelectorRequirement(k, NodeSelectorOperator.NotIn, [v]));
            if (extra.Count > 0) selector = selector with { MatchExpressions = [.. selector.MatchExpressions.IsDefault ? [] : selector.MatchExpressions, .. extra] };
        }
        var namespaces = (term.Namespaces ?? []).ToImmutableArray();
        var nsSelector = ToSelector(term.NamespaceSelector, where, $"{field}.namespaceSelector");
        if (namespaces.IsEmpty && nsSelector is null) namespaces = [ns];
        return new PodAffinityTerm(selector, namespaces, nsSelector, term.TopologyKey);
    }

    private static LabelSelector? ToSelector(V1LabelSelector? selector, string where, string field)
    {
        if (selector is null) return null;
        return new LabelSelector(
            [.. (selector.MatchLabels ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal)],
            [.. (selector.MatchExpressions ?? []).Select((r, i) =>
            {
                var f = $"{field}.matchExpressions[{i}]";
                var op = r.OperatorProperty switch
                {
                    "In" => NodeSelectorOperator.In,
                    "NotIn" => NodeSelectorOperator.NotIn,
                    "Exists" => NodeSelectorOperator.Exists,
                    "DoesNotExist" => NodeSelectorOperator.DoesNotExist,
                    var other => throw new InvalidObjectException(where, $"{f}.operator", $"\"{other}\" is not one of In, NotIn, Exists, DoesNotExist"),
                };
                var values = (r.Values ?? []).ToImmutableArray();
                if (op is NodeSelectorOperator.In or NodeSelectorOperator.NotIn && values.IsEmpty)
                    throw new InvalidObjectException(where, $"{f}.values", $"operator {op} needs at least one value");
                if (op is NodeSelectorOperator.Exists or NodeSelectorOperator.DoesNotExist && !values.IsEmpty)
                    throw new InvalidObjectException(where, $"{f}.values", $"operator {op} takes no values");
                return new NodeSelectorRequirement(r.Key ?? "", op, values);
            })]);
    }

    private static ImmutableArray<HostPort> ToHostPorts(V1PodSpec spec)
    {
        // Containers and sidecars (restartable init containers) hold their ports while the pod runs.
        var containers = (spec.Containers ?? []).Concat((spec.InitContainers ?? []).Where(c => c.RestartPolicy == "Always"));
        return
        [
            .. containers.SelectMany(c => c.Ports ?? []).Where(p => p.HostPort is > 0)
                .Select(p => new HostPort(string.IsNullOrEmpty(p.Protocol) ? "TCP" : p.Protocol,
                    string.IsNullOrEmpty(p.HostIP) ? HostPort.AnyIp : p.HostIP, p.HostPort!.Value))
                .Distinct(),
        ];
    }

    private static TopologySpreadConstraint ToSpread(V1TopologySpreadConstraint c, IDictionary<string, string> labels, string where, string field)
    {
        if (c.MaxSkew < 1) throw new InvalidObjectException(where, $"{field}.maxSkew", $"{c.MaxSkew} must be at least 1");
        if (string.IsNullOrEmpty(c.TopologyKey)) throw new InvalidObjectException(where, $"{field}.topologyKey", "must be set");
        var action = c.WhenUnsatisfiable switch
        {
            "DoNotSchedule" => SpreadAction.DoNotSchedule,
            "ScheduleAnyway" => SpreadAction.ScheduleAnyway,
            var other => throw new InvalidObjectException(where, $"{field}.whenUnsatisfiable", $"\"{other}\" is not one of DoNotSchedule, ScheduleAnyway"),
        };
        if (c.MinDomains is < 1) throw new InvalidObjectException(where, $"{field}.minDomains", $"{c.MinDomains} must be at least 1");
        if (c.MinDomains is not null && action != SpreadAction.DoNotSchedule)
            throw new InvalidObjectException(where, $"{field}.minDomains", "may only be set with whenUnsatisfiable DoNotSchedule");
        bool Policy(string? value, string name, bool byDefault) => value switch
        {
            null or "" => byDefault,
            "Honor" => true,
            "Ignore" => false,
            _ => throw new InvalidObjectException(where, $"{field}.{name}", $"\"{value}\" is not one of Honor, Ignore"),
        };
        var selector = ToSelector(c.LabelSelector, where, $"{field}.labelSelector");
        var keys = (c.MatchLabelKeys ?? []).Where(labels.ContainsKey).Select(k => new NodeSelectorRequirement(k, NodeSelectorOperator.In, [labels[k]])).ToList();
        if (selector is not null && keys.Count > 0)
            selector = selector with { MatchExpressions = [.. selector.MatchExpressions.IsDefault ? [] : selector.MatchExpressions, .. keys] };
        return new TopologySpreadConstraint(c.MaxSkew, c.TopologyKey, action, selector)
        {
            MinDomains = c.MinDomains ?? 1,
            HonorNodeAffinity = Policy(c.NodeAffinityPolicy, "nodeAffinityPolicy", true),
            HonorNodeTaints = Policy(c.NodeTaintsPolicy, "nodeTaintsPolicy", false),
        };
    }

    private static NodeSelectorRequirement ToRequirement(V1NodeSelectorRequirement r, string where, string field)
    {
        if (!Enum.TryParse<NodeSelectorOperator>(r.OperatorProperty, ignoreCase: false, out var op))
            throw new InvalidObjectException(where, $"{field}.operator", $"\"{r.OperatorProperty}\" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt");
        var values = (r.Values ?? []).ToImmutableArray();
        if (op is NodeSelectorOperator.Gt or NodeSelectorOperator.Lt && (values.Length != 1 || !long.TryParse(values[0], out _)))
            throw new InvalidObjectException(where, $"{field}.values", $"operator {op} needs exactly one integer value");
        return new NodeSelectorRequirement(r.Key ?? "", op, values);
    }

    private static Toleration ToToleration(V1Toleration t, string where, string field)
    {
        var op = t.OperatorProperty switch
        {
            null or "" or "Equal" => TolerationOperator.Equal,
            "Exists" => TolerationOperator.Exists,
            var other => throw new InvalidObjectException(where, $"{field}.operator", $"\"{other}\" is not one of Equal, Exists"),
        };
        return new Toleration(t.Key, op, t.Value, ParseEffect(t.Effect, where, $"{field}.effect"));
    }

    private static TaintEffect? ParseEffect(string? effect, string where, string field) => effect switch
    {
        null or "" => null,
        "NoSchedule" => TaintEffect.NoSchedule,
        "PreferNoSchedule" => TaintEffect.PreferNoSchedule,
        "NoExecute" => TaintEffect.NoExecute,
        _ => throw new InvalidObjectException(where, field, $"\"{effect}\" is not one of NoSchedule, PreferNoSchedule, NoExecute"),
    };
}
