using k8s;
using k8s.Models;
using Quorum.Kubernetes;

namespace Quorum.Tests.Integration;

/// <summary>Hard constraints of the pod spec, honoured by the running scheduler and explained on the objects.</summary>
public sealed class PodConstraintTests(string cluster) : IntegrationTest(cluster)
{
    private static void Router(V1Pod pod)
    {
        pod.Metadata.Labels["app"] = "router";
        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PodAffinityTerm
                    {
                        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "router" } },
                        TopologyKey = "kubernetes.io/hostname",
                    },
                ],
            },
        };
    }

    [Test]
    public async Task A_gang_of_routers_that_repel_each_other_waits_whole_for_a_node_each_then_binds_spread()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        await Cluster.PodGroupAsync("routers", new PodGroupSpecResource { MinMember = 3 });
        for (var i = 0; i < 3; i++) await Cluster.PodAsync($"router-{i}", gpus: 1, group: "routers", customize: Router);
        await StartSchedulerAsync();

        await TestCluster.WaitUntilAsync(async () => PodScheduled(await Cluster.GetPodAsync("router-0"))?.Message?.Contains("anti-affinity rules") == true,
            "each router says anti-affinity keeps the third off both nodes");
        Assert.That((await Cluster.PlacementsAsync()).Values, Is.All.Null, "never two of three");

        await Cluster.NodeAsync("n3");
        var nodes = await BoundAsync("router-0", "router-1", "router-2");
        Assert.That(nodes.Values.Distinct().Count(), Is.EqualTo(3), "one router per node");
    }

    [Test]
    public async Task Two_pods_wanting_one_host_port_on_one_node_bind_one_and_tell_the_other_why()
    {
        await Cluster.NodeAsync("n1");
        static void Port(V1Pod pod) => pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = 8080 }];
        await Cluster.PodAsync("a", gpus: 1, customize: Port);
        await Cluster.PodAsync("b", gpus: 1, customize: Port);
        await StartSchedulerAsync();

        await TestCluster.WaitUntilAsync(async () => (await Cluster.PlacementsAsync()).Values.Count(n => n is not null) == 1, "one of them is bound");
        var waiting = (await Cluster.PlacementsAsync()).Single(p => p.Value is null).Key;
        await TestCluster.WaitUntilAsync(async () => PodScheduled(await Cluster.GetPodAsync(waiting))?.Message
            == "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.", "the other says which filter refused it");
    }
}

/// <summary>Volume binding by the running scheduler: WaitForFirstConsumer claims follow the node it picks.</summary>
public sealed class VolumeBindingTests(string cluster) : IntegrationTest(cluster)
{
    private async Task ClaimAsync(string name, string storageClass)
    {
        await Cluster.Admin.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PersistentVolumeClaimSpec
            {
                StorageClassName = storageClass, AccessModes = ["ReadWriteOnce"],
                Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("10Gi") } },
            },
        }, Cluster.Namespace);
    }

    private static Action<V1Pod> Uses(string claim) => pod =>
        pod.Spec.Volumes = [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }];

    [Test]
    public async Task A_local_volume_is_promised_to_the_claim_and_a_provisioned_claim_is_told_the_node_before_the_pods_bind()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        var local = $"{Cluster.Namespace}-local";
        var fast = $"{Cluster.Namespace}-fast";
        await Cluster.Admin.StorageV1.CreateStorageClassAsync(new V1StorageClass
            { Metadata = new V1ObjectMeta { Name = local, Labels = Cluster.RunLabels() }, Provisioner = "kubernetes.io/no-provisioner", VolumeBindingMode = "WaitForFirstConsumer" });
        await Cluster.Admin.StorageV1.CreateStorageClassAsync(new V1StorageClass
            { Metadata = new V1ObjectMeta { Name = fast, Labels = Cluster.RunLabels() }, Provisioner = "csi.example.com", VolumeBindingMode = "WaitForFirstConsumer" });
        var pv = $"{Cluster.Namespace}-pv-n2";
        await Cluster.Admin.CoreV1.CreatePersistentVolumeAsync(new V1PersistentVolume
        {
            Metadata = new V1ObjectMeta { Name = pv, Labels = Cluster.RunLabels() },
            Spec = new V1PersistentVolumeSpec
            {
                StorageClassName = local, AccessModes = ["ReadWriteOnce"], Capacity = new Dictionary<string, ResourceQuantity> { ["storage"] = new("100Gi") },
                Local = new V1LocalVolumeSource { Path = "/nvme" },
                NodeAffinity = new V1VolumeNodeAffinity
                {
                    Required = new V1NodeSelector
                    {
                        NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "kubernetes.io/hostname", OperatorProperty = "In", Values = [Cluster.NodeName("n2")] }] }],
                    },
                },
            },
        });
        await ClaimAsync("cache", local);
        await ClaimAsync("scratch", fast);
        await Cluster.PodAsync("reader", gpus: 1, customize: Uses("cache"));
        await Cluster.PodAsync("writer", gpus: 1, customize: Uses("scratch"));
        await Cluster.PodAsync("orphan", gpus: 1, customize: Uses("missing"));
        await StartSchedulerAsync();

        var nodes = await BoundAsync("reader", "writer");
        Assert.That(nodes["reader"], Is.EqualTo("n2"), "the only node its local volume reaches");
        Assert.That((await Cluster.Admin.CoreV1.ReadPersistentVolumeAsync(pv)).Spec.ClaimRef?.Name, Is.EqualTo("cache"));
        var scratch = await Cluster.Admin.CoreV1.ReadNamespacedPersistentVolumeClaimAsync("scratch", Cluster.Namespace);
        Assert.That(scratch.Metadata.Annotations?["volume.kubernetes.io/selected-node"], Is.EqualTo(Cluster.NodeName(nodes["writer"])));
        await TestCluster.WaitUntilAsync(async () => PodScheduled(await Cluster.GetPodAsync("orphan"))?.Message?.Contains("persistentvolumeclaim \"missing\" not found") == true,
            "a pod whose claim does not exist says so");
    }
}
