using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Recurring.Daemon.Hosting;
using Recurring.Daemon.Status;
using Recurring.Daemon.Streaming;
using Recurring.Daemon.Tests.Kafka;

namespace Recurring.Daemon.Tests.Daemon;

[Collection(DaemonCollection.Name)]
public sealed class AdminPortTests(KafkaClusterFixture kafka)
{
    [Fact]
    public async Task ATakenAdminPortFailsTheStartBeforeTrainingTouchesAnyCheckpoint()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        using var setup = new DaemonSetup(kafka).With("Admin:Port", $"{((IPEndPoint)holder.LocalEndpoint).Port}");
        var app = DaemonHost.TryBuild(setup.Overrides(), new StringWriter());
        Assert.NotNull(app);
        await using (app)
        {
            var error = await Assert.ThrowsAsync<IOException>(() => app.StartAsync());
            Assert.IsType<AddressInUseException>(error.InnerException);

            await Task.Delay(TimeSpan.FromSeconds(1)); // time enough to restore or train, had training started
            Assert.Equal(DaemonActivity.Starting, app.Services.GetRequiredService<DaemonStatus>().Snapshot().Activity.Activity);
        }
        Assert.False(Directory.Exists(setup.CheckpointDirectory), "the checkpoint folder was created");
    }
}
