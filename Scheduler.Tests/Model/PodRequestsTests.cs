using Quorum.Core.Model;

namespace Quorum.Tests.Model;

public class PodRequestsTests
{
    private static ResourceVector Cpu(long m) => new(m, 0, 0, 0);

    [Test]
    public void App_containers_add_up() =>
        Assert.That(PodRequests.Compute([new(Cpu(100)), new(Cpu(200))], []).MilliCpu, Is.EqualTo(300));

    [Test]
    public void A_regular_init_container_larger_than_the_app_sets_the_request() =>
        Assert.That(PodRequests.Compute([new(Cpu(100))], [new(Cpu(500))]).MilliCpu, Is.EqualTo(500));

    [Test]
    public void Sidecars_run_beside_the_app_and_beside_later_init_containers()
    {
        // sidecar 100, then init 300 (runs with the sidecar: 400), app 200 (+ sidecar: 300) → 400
        var r = PodRequests.Compute([new(Cpu(200))], [new(Cpu(100), IsSidecar: true), new(Cpu(300))]);
        Assert.That(r.MilliCpu, Is.EqualTo(400));
    }

    [Test]
    public void An_init_container_before_a_sidecar_does_not_run_with_it()
    {
        // init 300 alone, then sidecar 100; app 250 + sidecar = 350 → 350
        var r = PodRequests.Compute([new(Cpu(250))], [new(Cpu(300)), new(Cpu(100), IsSidecar: true)]);
        Assert.That(r.MilliCpu, Is.EqualTo(350));
    }

    [Test]
    public void Overhead_is_added_on_top() =>
        Assert.That(PodRequests.Compute([new(Cpu(100))], [], Cpu(50)).MilliCpu, Is.EqualTo(150));

    [Test]
    public void Extended_resources_follow_the_same_rules()
    {
        var rdma = ResourceVector.FromNamed([new("rdma/ib", 1)]);
        var r = PodRequests.Compute([new(rdma), new(rdma)], [new(ResourceVector.FromNamed([new("rdma/ib", 3)]))]);
        Assert.That(r.Get("rdma/ib"), Is.EqualTo(3));
    }
}
