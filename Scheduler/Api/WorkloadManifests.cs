using k8s.Models;
using Quorum.Api.V1Alpha1;
using Quorum.Core.Model;
using Quorum.Kubernetes;

namespace Quorum.Api;

/// <summary>
/// A WhatIf workload as the Kubernetes objects it stands for: the PodGroup and one Pod per template
/// copy, so the structured and the YAML input go through the same mapping and validation as watched
/// objects. Fields the mapping would refuse are checked here first, to name the request's field.
/// </summary>
internal static class WorkloadManifests
{
    /// <summary>More pods than any real gang, small enough that a request cannot make the scheduler build millions.</summary>
    public const int MaxPods = 10_000;

    public static ManifestSet From(Workload workload)
    {
        var g = workload.PodGroup ?? throw ApiErrors.Invalid("workload.pod_group", "must be set");
        var key = ProtoMapping.Key(new ObjectRef { Namespace = g.Namespace, Name = g.Name }, "workload.pod_group");
        if (workload.Pods.Count == 0) throw ApiErrors.Invalid("workload.pods", "must hold at least one template");
        var set = new ManifestSet();
        set.PodGroups.Add(new PodGroupResource
        {
            Metadata = new V1ObjectMeta { Name = key.Name, NamespaceProperty = key.Namespace },
            Spec = new PodGroupSpecResource
            {
                MinMember = g.HasMinMember ? g.MinMember : null,
                MinSubGroup = g.HasMinSubGroup ? g.MinSubGroup : null,
                PriorityClassName = g.PriorityClassName.Length == 0 ? null : g.PriorityClassName,
                TopologyConstraint = Constraint(g.TopologyConstraint),
                SubGroups = g.SubGroups.Count == 0 ? null : [.. g.SubGroups.Select(s => new SubGroupResource
                {
                    Name = s.Name,
                    Parent = s.Parent.Length == 0 ? null : s.Parent,
                    MinMember = s.HasMinMember ? s.MinMember : null,
                    MinSubGroup = s.HasMinSubGroup ? s.MinSubGroup : null,
                    TopologyConstraint = Constraint(s.TopologyConstraint),
                })],
            },
        });

        var total = 0L;
        for (var i = 0; i < workload.Pods.Count; i++)
        {
            var t = workload.Pods[i];
            var field = $"workload.pods[{i}]";
            if (t.Count < 1) throw ApiErrors.Invalid($"{field}.count", $"{t.Count} must be at least 1");
            total += t.Count;
            if (total > MaxPods) throw ApiErrors.Invalid($"{field}.count", $"the workload would have more than {MaxPods} pods");
            var requests = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
            foreach (var (resource, text) in t.Requests)
            {
                try
                {
                    Quantity.ParseResource(resource, text);
                }
                catch (FormatException e)
                {
                    throw ApiErrors.Invalid($"{field}.requests[\"{resource}\"]", e.Message);
                }
                requests[resource] = new ResourceQuantity(text);
            }
            var tolerations = new List<V1Toleration>();
            for (var j = 0; j < t.Tolerations.Count; j++)
            {
                var tol = t.Tolerations[j];
                if (tol.Operator is not ("" or "Equal" or "Exists"))
                    throw ApiErrors.Invalid($"{field}.tolerations[{j}].operator", $"\"{tol.Operator}\" is not one of Equal, Exists");
                if (tol.Effect is not ("" or "NoSchedule" or "PreferNoSchedule" or "NoExecute"))
                    throw ApiErrors.Invalid($"{field}.tolerations[{j}].effect", $"\"{tol.Effect}\" is not one of NoSchedule, PreferNoSchedule, NoExecute");
                tolerations.Add(new V1Toleration
                {
                    Key = tol.Key.Length == 0 ? null : tol.Key,
                    OperatorProperty = tol.Operator.Length == 0 ? null : tol.Operator,
                    Value = tol.Value.Length == 0 ? null : tol.Value,
                    Effect = tol.Effect.Length == 0 ? null : tol.Effect,
                });
            }
            var labels = new Dictionary<string, string> { [WellKnown.PodGroupLabel] = key.Name };
            if (t.SubGroup.Length > 0) labels[WellKnown.SubGroupLabel] = t.SubGroup;
            for (var n = 0; n < t.Count; n++)
            {
                set.Pods.Add(new V1Pod
                {
                    Metadata = new V1ObjectMeta { Name = $"{key.Name}-{(t.SubGroup.Length > 0 ? t.SubGroup : "pod")}-{i}-{n}", NamespaceProperty = key.Namespace, Labels = labels },
                    Spec = new V1PodSpec
                    {
                        Containers = [new V1Container { Name = "main", Resources = new V1ResourceRequirements { Requests = requests } }],
                        NodeSelector = t.NodeSelector.Count == 0 ? null : t.NodeSelector.ToDictionary(),
                        Tolerations = tolerations.Count == 0 ? null : tolerations,
                    },
                });
            }
        }
        return set;
    }

    private static TopologyConstraintResource? Constraint(V1Alpha1.TopologyConstraint? c) =>
        c is null ? null : new TopologyConstraintResource
        {
            Topology = c.Topology.Length == 0 ? null : c.Topology,
            RequiredTopologyLevel = c.RequiredTopologyLevel.Length == 0 ? null : c.RequiredTopologyLevel,
            PreferredTopologyLevel = c.PreferredTopologyLevel.Length == 0 ? null : c.PreferredTopologyLevel,
        };
}
