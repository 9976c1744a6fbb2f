// DynamoTable against a real dynalite server on loopback (tests/services).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "loopback_http_server.h"
#include "maskwatch.h"
#include "results/dynamodb_table.h"
#include "results/results_table.h"
#include "results_fixture.h"
#include "service_fixture.h"

using namespace mw;

class DynamoResults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = fixture::start_dynalite(/*create_table_ms=*/100).release();
    // dynalite checks no signatures, but every request is signed as for AWS.
    ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    ::setenv("AWS_REGION", "eu-west-1", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::setenv("AWS_ENDPOINT_URL_DYNAMODB", server_->endpoint().c_str(), 1);
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static DynamoOptions options() {
    DynamoOptions o;
    o.poll_seconds = 0.05;
    return o;
  }
  static fixture::ServiceProcess* server_;
};
fixture::ServiceProcess* DynamoResults::server_ = nullptr;

namespace {

using fixture::expect_same;
using fixture::record;

// A table name no other test uses: the server lives for the whole suite.
std::string fresh_name(const std::string& tag) {
  static int counter = 0;
  return "results-" + tag + "-" + std::to_string(++counter);
}

}  // namespace

TEST_F(DynamoResults, CreatesTheTableWhenMissing) {
  auto name = fresh_name("create");
  DynamoTable probe(fresh_name("probe"), options());
  try {
    probe.call("DescribeTable", {{"TableName", name}});
    FAIL() << name << " exists before the test";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ResourceNotFoundException"), std::string::npos) << e.what();
  }
  auto table = open_results("dynamodb://" + name);  // endpoint from AWS_ENDPOINT_URL_DYNAMODB
  EXPECT_EQ(table->uri(), "dynamodb://" + name);
  auto described = probe.call("DescribeTable", {{"TableName", name}})["Table"];
  EXPECT_EQ(described["TableStatus"], "ACTIVE");
  EXPECT_EQ(described["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
  EXPECT_EQ(described["KeySchema"][0]["AttributeName"], "set_size");
  EXPECT_EQ(described["KeySchema"][0]["KeyType"], "HASH");
  EXPECT_EQ(described["KeySchema"][1]["AttributeName"], "run");
  EXPECT_EQ(described["KeySchema"][1]["KeyType"], "RANGE");
  EXPECT_TRUE(table->history().empty());
}

TEST_F(DynamoResults, PlainSchemeMeansTheBenchmarkTable) {
  EXPECT_EQ(open_results("dynamodb://")->uri(), "dynamodb://benchmark");
  DynamoTable probe("benchmark", options());
  EXPECT_EQ(probe.call("DescribeTable", {{"TableName", "benchmark"}})["Table"]["TableStatus"], "ACTIVE");
}

TEST_F(DynamoResults, PutAndHistoryRoundTripEveryField) {
  DynamoTable table(fresh_name("roundtrip"), options());
  auto r = record("run-a", "2026-11-24T20:00:00Z", 100);
  table.put(r);
  auto all = table.history();
  ASSERT_EQ(all.size(), 1u);
  expect_same(all[0], r);
  // The item is typed: numbers as N, texts as S, and the sort key joins start and run.
  auto item =
      table.call("GetItem", {{"TableName", table.uri().substr(11)},
                             {"Key", {{"set_size", {{"N", "100"}}}, {"run", {{"S", "2026-11-24T20:00:00Z#run-a"}}}}},
                             {"ConsistentRead", true}})["Item"];
  EXPECT_EQ(item["objects"]["N"], "403");
  EXPECT_EQ(item["accuracy"]["N"], "0.1");
  EXPECT_EQ(item["model_id"]["S"], "3f2a9c0d11e4b5a6");
  // Numbers DynamoDB cannot hold come back as NaN, empty texts as empty.
  auto odd = record("run-b", "2026-11-24T21:00:00Z", 100);
  odd.heldout_accuracy = std::nan("");
  odd.model_id.clear();
  table.put(odd);
  auto both = table.history(100);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_TRUE(std::isnan(both[1].heldout_accuracy));
  EXPECT_EQ(both[1].model_id, "");
  EXPECT_EQ(both[1].accuracy, 0.1);
}

TEST_F(DynamoResults, RunsWithTheSameSetSizeAreAllKept) {
  DynamoTable table(fresh_name("keep"), options());
  auto first = record("run-a", "2026-11-24T20:00:00Z", 50);
  auto second = record("run-b", "2026-11-24T21:00:00Z", 50);
  second.accuracy = 0.75;
  table.put(second);
  table.put(first);
  table.put(record("run-c", "2026-11-24T21:00:00Z", 50));  // same second, another run
  auto all = table.history(50);
  ASSERT_EQ(all.size(), 3u);
  expect_same(all[0], first);
  expect_same(all[1], second);
  EXPECT_EQ(all[2].run_id, "run-c");
  auto again = first;
  again.accuracy = 0.5;
  try {
    table.put(again);
    FAIL() << "a record was overwritten";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("already there"), std::string::npos) << e.what();
  }
  auto after = table.history(50);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[0].accuracy, 0.1);
  // The same record again, as a retried PutItem whose first attempt landed: that write did happen.
  table.put(first);
  EXPECT_EQ(table.history(50).size(), 3u);
}

TEST_F(DynamoResults, QueryBySizeAndScanFollowEveryPage) {
  auto opt = options();
  opt.page_limit = 2;  // many pages from a few items
  DynamoTable table(fresh_name("pages"), opt);
  const int sizes[] = {10, 50, 200};
  for (int run = 0; run < 5; ++run)
    for (int size : sizes)
      table.put(record("run-" + std::to_string(run), "2026-11-2" + std::to_string(run) + "T08:00:00Z", size));
  auto all = table.history();
  ASSERT_EQ(all.size(), 15u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].run_id, "run-" + std::to_string(i / 3)) << i;
    EXPECT_EQ(all[i].set_size, sizes[i % 3]) << i;
  }
  for (int size : sizes) {
    auto some = table.history(size);
    ASSERT_EQ(some.size(), 5u) << size;
    for (std::size_t i = 0; i < some.size(); ++i) {
      EXPECT_EQ(some[i].set_size, size);
      EXPECT_EQ(some[i].run_id, "run-" + std::to_string(i));
    }
  }
  EXPECT_TRUE(table.history(7).empty());
}

TEST_F(DynamoResults, SecondOpenUsesTheExistingTable) {
  auto name = fresh_name("reopen");
  DynamoTable first(name, options());
  auto created = first.call("DescribeTable", {{"TableName", name}})["Table"];
  first.put(record("run-a", "2026-11-24T20:00:00Z", 100));
  DynamoTable second(name, options());
  auto described = second.call("DescribeTable", {{"TableName", name}})["Table"];
  EXPECT_EQ(described["TableId"], created["TableId"]);
  EXPECT_EQ(described["CreationDateTime"], created["CreationDateTime"]);
  auto all = second.history();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].run_id, "run-a");
}

TEST_F(DynamoResults, ExistingTableWithAnotherKeyIsRefused) {
  auto name = fresh_name("otherkey");
  DynamoTable probe(fresh_name("probe"), options());
  probe.call("CreateTable", {{"TableName", name},
                             {"AttributeDefinitions", {{{"AttributeName", "id"}, {"AttributeType", "S"}}}},
                             {"KeySchema", {{{"AttributeName", "id"}, {"KeyType", "HASH"}}}},
                             {"BillingMode", "PAY_PER_REQUEST"}});
  for (int i = 0; i < 100 && probe.call("DescribeTable", {{"TableName", name}})["Table"]["TableStatus"] != "ACTIVE";
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  try {
    DynamoTable table(name, options());
    FAIL() << "a table with another key schema was used";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("key schema"), std::string::npos) << e.what();
  }
}

TEST_F(DynamoResults, ServerErrorsNameTheTableAndTheOperation) {
  try {
    open_results("dynamodb://a");  // DynamoDB wants 3 to 255 characters
    FAIL() << "an invalid table name was accepted";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("dynamodb://a"), std::string::npos) << what;
    EXPECT_NE(what.find("DescribeTable"), std::string::npos) << what;
    EXPECT_NE(what.find("ValidationException"), std::string::npos) << what;
    EXPECT_NE(what.find("TableName"), std::string::npos) << what;
  }
  DynamoTable table(fresh_name("errors"), options());
  EXPECT_THROW(table.put(record("", "2026-11-24T20:00:00Z", 1)), Error);
  try {
    table.call("Query", {{"TableName", "results-no-such-table"},
                         {"KeyConditionExpression", "set_size = :s"},
                         {"ExpressionAttributeValues", {{":s", {{"N", "1"}}}}}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Query"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("ResourceNotFoundException"), std::string::npos) << e.what();
  }
}

// DynamoDB answers throttling with HTTP 400: those calls are retried. Every request is signed.
TEST(DynamoProtocol, ThrottlingIsRetriedAndEveryRequestSigned) {
  int calls = 0;
  fixture::LoopbackHttpServer server([&](const fixture::HttpRequest&) {
    fixture::HttpReply reply;
    reply.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
    if (++calls <= 2) {
      reply.status = 400;
      reply.body = R"({"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"})";
    } else {
      reply.body = R"({"Table":{"TableName":"bench","TableStatus":"ACTIVE","KeySchema":[)"
                   R"({"AttributeName":"set_size","KeyType":"HASH"},{"AttributeName":"run","KeyType":"RANGE"}]}})";
    }
    return reply;
  });
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
  ::unsetenv("AWS_SESSION_TOKEN");
  DynamoOptions opt;
  opt.endpoint = "http://" + server.host_port();
  opt.region = "eu-west-1";
  DynamoTable table("bench", opt);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/");
    EXPECT_EQ(r.header("x-amz-target"), "DynamoDB_20120810.DescribeTable");
    EXPECT_EQ(r.header("content-type"), "application/x-amz-json-1.0");
    EXPECT_EQ(nlohmann::json::parse(r.body), nlohmann::json({{"TableName", "bench"}}));
    auto auth = r.header("authorization");
    EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u) << auth;
    EXPECT_NE(auth.find("/eu-west-1/dynamodb/aws4_request"), std::string::npos) << auth;
    EXPECT_NE(auth.find("x-amz-target"), std::string::npos) << auth;
    EXPECT_FALSE(r.header("x-amz-date").empty());
  }
}
