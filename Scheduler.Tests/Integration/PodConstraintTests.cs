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
