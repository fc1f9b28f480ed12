using Grpc.Core;
using Quorum.Api.V1Alpha1;

namespace Quorum.Tests.Grpc;

/// <summary>Capacity over gRPC: the figures are what the nodes hold minus what runs on them.</summary>
public class CapacityTests : GrpcHostFixture
{
    [Test]
    public async Task Free_and_total_per_NVLink_domain_and_the_gang_shapes_each_can_still_take()
    {
        SeedCluster();
        var host = await StartHostAsync();

        var answer = await ApiClient(host).CapacityAsync(new CapacityRequest());

        Assert.That((answer.Topology, answer.Level), Is.EqualTo(("default", Clique)));
        Assert.That(answer.Domains.Select(d => (d.Domain, d.Nodes, d.GpuFree, d.GpuTotal, d.MaxNodeGpuFree)),
            Is.EqualTo(new[] { ("b1/r1", 2, 8L, 16L, 8L), ("b1/r2", 2, 16L, 16L, 8L) }));
        var r1 = answer.Domains[0];
        Assert.That(r1.Shapes.Select(s => (s.GpusPerPod, s.Pods)), Is.EqualTo(new[] { (1, 8L), (2, 4L), (4, 2L), (8, 1L) }));
        // Objects.Node: 64 cpu and 512Gi each; the running pod requests GPUs only.
        Assert.That((r1.CpuTotalMillis, r1.CpuFreeMillis), Is.EqualTo((128_000L, 128_000L)));
        Assert.That((r1.MemoryTotalBytes, r1.MemoryFreeBytes), Is.EqualTo((2 * 512L << 30, 2 * 512L << 30)));
        Assert.That((answer.Cluster.Domain, answer.Cluster.Nodes, answer.Cluster.GpuFree, answer.Cluster.GpuTotal), Is.EqualTo(("/", 4, 24L, 32L)));
    }

    [Test]
    public async Task A_level_can_be_named_by_its_short_name_and_an_unknown_one_is_InvalidArgument_naming_the_field()
    {
        SeedCluster();
        var host = await StartHostAsync();
        var client = ApiClient(host);

        var nodes = await client.CapacityAsync(new CapacityRequest { Level = "hostname" });
        Assert.That(nodes.Domains.Select(d => (d.Domain, d.GpuFree)), Is.EqualTo(new[] { ("b1/r1/n1", 0L), ("b1/r1/n2", 8L), ("b1/r2/n3", 8L), ("b1/r2/n4", 8L) }));

        var bad = await FailsAsync(client.CapacityAsync(new CapacityRequest { Level = "rack" }));
        Assert.That(bad.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(bad.Status.Detail, Does.StartWith("level: \"rack\" is not a level of topology default"));
        var unknown = await FailsAsync(client.CapacityAsync(new CapacityRequest { Topology = "hgx" }));
        Assert.That(unknown.Status.Detail, Does.StartWith("topology: \"hgx\" is not a Topology this scheduler knows"));
    }
}
