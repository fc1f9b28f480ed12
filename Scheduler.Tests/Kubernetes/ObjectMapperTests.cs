using k8s.Models;
using Quorum.Core.Model;
using Quorum.Kubernetes;

namespace Quorum.Tests.Kubernetes;

public class ObjectMapperTests
{
    private static V1Pod PodYaml(string spec) =>
        ManifestReader.Read($"apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ml\n  labels: {{scheduling.quorum.dev/pod-group: g, scheduling.quorum.dev/sub-group: decode}}\nspec:\n{spec}").Pods.Single();

    [Test]
    public void A_pod_maps_with_effective_requests_membership_and_constraints()
    {
        var pod = ObjectMapper.ToPod(PodYaml("""
              schedulerName: quorum
              priority: 1000
              initContainers:
                - {name: sidecar, restartPolicy: Always, resources: {requests: {cpu: 100m}}}
                - {name: init, resources: {requests: {cpu: "2"}}}
              containers:
                - {name: a, resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {nvidia.com/gpu: "4"}}}
              nodeSelector: {pool: gpu}
              tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
              affinity:
                nodeAffinity:
                  requiredDuringSchedulingIgnoredDuringExecution:
                    nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a, b]}]}]
              schedulingGates: [{name: wait}]
            """));
        Assert.Multiple(() =>
        {
            Assert.That(pod.Key, Is.EqualTo(new ObjectKey("ml", "p")));
            Assert.That(pod.Requests.MilliCpu, Is.EqualTo(2100), "init 2 cpu runs beside the 100m sidecar");
            Assert.That(pod.Requests.Gpu, Is.EqualTo(4), "a limit without a request is the request");
            Assert.That(pod.Requests.Memory, Is.EqualTo(1L << 30));
            Assert.That(pod.Group, Is.EqualTo(new GroupMembership("g", "decode")));
            Assert.That(pod.Priority, Is.EqualTo(1000));
            Assert.That(pod.NodeSelector["pool"], Is.EqualTo("gpu"));
            Assert.That(pod.Tolerations.Single().Operator, Is.EqualTo(TolerationOperator.Exists));
            Assert.That(pod.RequiredNodeAffinity.Single().MatchExpressions.Single().Values, Is.EqualTo(new[] { "a", "b" }));
            Assert.That(pod.SchedulingGated, Is.True);
            Assert.That(pod.SchedulerName, Is.EqualTo("quorum"));
        });
    }

    [Test]
    public void An_unknown_affinity_operator_is_refused_naming_the_field()
    {
        var e = Assert.Throws<InvalidObjectException>(() => ObjectMapper.ToPod(PodYaml("""
              containers: [{name: a}]
              affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: z, operator: Near}]}]}}}
            """)));
        Assert.That(e!.Message, Does.Contain("Pod ml/p: spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: \"Near\""));
    }

    [Test]
    public void A_node_maps_allocatable_labels_taints_and_cordon()
    {
        var node = ObjectMapper.ToNode(ManifestReader.Read("""
            apiVersion: v1
            kind: Node
            metadata: {name: n1, labels: {nvidia.com/gpu.clique: c1}}
            spec: {unschedulable: true, taints: [{key: gpu, value: "true", effect: NoSchedule}]}
            status: {allocatable: {cpu: 63500m, memory: 500Gi, nvidia.com/gpu: "8", pods: "110", rdma/ib: "4"}}
            """).Nodes.Single());
        Assert.Multiple(() =>
        {
            Assert.That(node.Allocatable, Is.EqualTo(new ResourceVector(63_500, 500L << 30, 8, 110, [new("rdma/ib", 4)])));
            Assert.That(node.Labels["nvidia.com/gpu.clique"], Is.EqualTo("c1"));
            Assert.That(node.Taints.Single(), Is.EqualTo(new Taint("gpu", "true", TaintEffect.NoSchedule)));
            Assert.That(node.Unschedulable, Is.True);
        });
    }

    [Test]
    public void A_topology_with_hostname_not_last_is_refused()
    {
        var t = ManifestReader.Read("""
            apiVersion: scheduling.quorum.dev/v1alpha1
            kind: Topology
            metadata: {name: bad}
            spec: {levels: [{nodeLabel: kubernetes.io/hostname}, {nodeLabel: nvidia.com/gpu.clique}]}
            """).Topologies.Single();
        var e = Assert.Throws<InvalidObjectException>(() => ObjectMapper.ToTopology(t));
        Assert.That(e!.Message, Does.StartWith("Topology bad: spec.levels[0].nodeLabel:"));
    }

    [Test]
    public void A_PodGroup_maps_its_sub_group_tree_and_priority_class()
    {
        var g = ManifestReader.Read("""
            apiVersion: scheduling.quorum.dev/v1alpha1
            kind: PodGroup
            metadata: {name: llama, namespace: serving}
            spec:
              minSubGroup: 2
              priorityClassName: high
              topologyConstraint: {topology: fabric, requiredTopologyLevel: block}
              subGroups:
                - {name: prefill, minSubGroup: 1}
                - {name: prefill-0, parent: prefill, minMember: 2, topologyConstraint: {requiredTopologyLevel: clique}}
                - {name: decode, minMember: 4}
            """).PodGroups.Single();
        var spec = ObjectMapper.ToPodGroup(g, n => n == "high" ? 1000 : null);
        Assert.That(spec.Priority, Is.EqualTo(1000));
        Assert.That(spec.SubGroups[1], Is.EqualTo(new Quorum.Core.Gangs.SubGroupSpec("prefill-0", "prefill", 2, null, new Quorum.Core.Gangs.TopologyConstraint(RequiredTopologyLevel: "clique"))));
        var e = Assert.Throws<InvalidObjectException>(() => ObjectMapper.ToPodGroup(g, _ => null));
        Assert.That(e!.Message, Does.Contain("spec.priorityClassName: PriorityClass \"high\" does not exist"));
    }
}
