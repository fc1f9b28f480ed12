using Microsoft.Extensions.Time.Testing;
using Quorum.Reporting;

namespace Quorum.Tests.Reporting;

public class EventThrottleTests
{
    [Test]
    public void The_same_event_on_the_same_object_is_emitted_once_per_interval()
    {
        var time = new FakeTimeProvider();
        var t = new EventThrottle(time, TimeSpan.FromMinutes(1));
        Assert.That(t.Allow("Pod/ns/a", "FailedScheduling", "0/3 nodes are available"), Is.True);
        Assert.That(t.Allow("Pod/ns/a", "FailedScheduling", "0/3 nodes are available"), Is.False);
        Assert.That(t.Allow("Pod/ns/b", "FailedScheduling", "0/3 nodes are available"), Is.True, "another object");
        Assert.That(t.Allow("Pod/ns/a", "FailedScheduling", "0/4 nodes are available"), Is.True, "a new message is news");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(t.Allow("Pod/ns/a", "FailedScheduling", "0/4 nodes are available"), Is.True, "repeated after the interval");
    }
}
