using Recurring.Daemon.Configuration;

namespace Recurring.Daemon.Tests.Deployment;

/// <summary>
/// The chart passes librdkafka secrets as RECURRING_Kafka__Properties__sasl.password. This pins down that the
/// daemon's configuration keeps the '.' in the key and maps '__' to ':'.
/// </summary>
public sealed class EnvironmentVariableConfigurationTests
{
    [Fact]
    public void DottedKafkaPropertyReachesTheConfigurationUnderItsLibrdkafkaName()
    {
        const string variable = "RECURRING_Kafka__Properties__sasl.password";
        var previous = Environment.GetEnvironmentVariable(variable);
        Environment.SetEnvironmentVariable(variable, "from-the-secret");
        try
        {
            var configuration = RecurringConfiguration.Build();

            Assert.Equal("from-the-secret", configuration.GetSection("Kafka:Properties")["sasl.password"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, previous);
        }
    }
}
