#include <gtest/gtest.h>

#include "data/voc.h"
#include "fixture.h"

using namespace mw;

namespace {
std::string doc(const std::string& objects, const std::string& prolog = "") {
  return prolog +
         "<annotation><filename>a.jpg</filename><size><width>100</width><height>80</height>"
         "<depth>3</depth></size>\n" +
         objects + "</annotation>";
}
std::string obj(const std::string& name, int x0, int y0, int x1, int y1) {
  return "<object><name>" + name + "</name><bndbox><xmin>" + std::to_string(x0) + "</xmin><ymin>" + std::to_string(y0) +
         "</ymin><xmax>" + std::to_string(x1) + "</xmax><ymax>" + std::to_string(y1) + "</ymax></bndbox></object>\n";
}
std::string error_of(const std::string& xml) {
  fixture::save_fuzz_seed("fuzz_voc", "error-of", xml);
  try {
    parse_voc(xml, "f.xml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Voc, ParsesSizeAndObjects) {
  auto a = parse_voc(doc(obj("with_mask", 1, 2, 30, 40) + obj("without_mask", 50, 10, 70, 30)), "f.xml");
  EXPECT_EQ(a.filename, "a.jpg");
  EXPECT_EQ(a.width, 100);
  EXPECT_EQ(a.height, 80);
  ASSERT_EQ(a.objects.size(), 2u);
  EXPECT_EQ(a.objects[1].name, "without_mask");
  EXPECT_FLOAT_EQ(a.objects[0].box.xmax, 30);
  EXPECT_EQ(a.objects[0].line, 2);
  EXPECT_EQ(a.objects[1].line, 3);
}

TEST(Voc, MalformedXmlNamesFileAndLine) {
  auto e = error_of("<annotation>\n<size><width>1</width>\n</annotation>");
  EXPECT_NE(e.find("f.xml:"), std::string::npos) << e;
  EXPECT_NE(e.find("malformed XML"), std::string::npos) << e;
}

TEST(Voc, RefusesExternalEntity) {
  auto e = error_of(doc(obj("&xxe;", 1, 1, 5, 5),
                        "<?xml version=\"1.0\"?>\n<!DOCTYPE annotation [<!ENTITY xxe SYSTEM "
                        "\"file:///etc/passwd\">]>\n"));
  EXPECT_NE(e.find("DOCTYPE"), std::string::npos) << e;
  EXPECT_NE(e.find("f.xml:2"), std::string::npos) << e;
}

TEST(Voc, RefusesEntityExpansionBomb) {
  std::string dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  for (int i = 1; i < 10; ++i) {
    dtd += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) dtd += i == 1 ? "&lol;" : "&lol" + std::to_string(i - 1) + ";";
    dtd += "\">";
  }
  dtd += "]>";
  auto e = error_of(doc(obj("&lol9;", 1, 1, 5, 5), dtd));
  EXPECT_NE(e.find("DOCTYPE"), std::string::npos) << e;
}

TEST(Voc, UndeclaredEntityIsNotExpanded) {
  // Without a DTD an entity reference stays text, so it can only be an unknown class.
  auto a = parse_voc(doc(obj("&xxe;", 1, 1, 5, 5)), "f.xml");
  EXPECT_EQ(check_object(a.objects[0], a.width, a.height).status, BoxStatus::unknown_class);
}

TEST(Voc, MissingFieldsAndBadNumbers) {
  EXPECT_NE(error_of("<annotation><size><width>5</width></size></annotation>").find("<height>"), std::string::npos);
  EXPECT_NE(error_of("<foo/>").find("no <annotation>"), std::string::npos);
  auto e =
      error_of(doc("<object><name>with_mask</name><bndbox><xmin>1</xmin><ymin>x</ymin><xmax>3</xmax>"
                   "<ymax>4</ymax></bndbox></object>"));
  EXPECT_NE(e.find("<ymin> is not a decimal number"), std::string::npos) << e;
  EXPECT_NE(error_of(doc("<object><name>with_mask</name></object>")).find("missing <bndbox>"), std::string::npos);
  EXPECT_NE(error_of("<annotation><size><width>0</width><height>5</height></size></annotation>")
                .find("<width> is 0; expected 1 to 100000"),
            std::string::npos);
}

namespace {
std::string with_size(const std::string& width, const std::string& depth) {
  return "<annotation><size><width>" + width + "</width><height>80</height><depth>" + depth +
         "</depth></size></annotation>";
}
std::string with_corner(const std::string& xmin) {
  return doc("<object><name>with_mask</name><bndbox><xmin>" + xmin +
             "</xmin><ymin>1</ymin><xmax>30</xmax><ymax>40</ymax></bndbox></object>");
}
}  // namespace

TEST(Voc, NumbersAreDecimalAndInRangeBeforeAnyCast) {
  EXPECT_NE(error_of(with_size("100", "1e300")).find("<depth> is 1e300; expected 0 to 4"), std::string::npos)
      << error_of(with_size("100", "1e300"));
  EXPECT_NE(error_of(with_size("100", "3.5")).find("<depth> must be a whole number"), std::string::npos);
  EXPECT_NE(error_of(with_size("1e300", "3")).find("<width> is 1e300"), std::string::npos);
  EXPECT_NE(error_of(with_size(std::string(400, '9'), "3")).find("expected 1 to 100000"), std::string::npos);
  auto far = error_of(with_corner("1e30"));
  EXPECT_NE(far.find("<xmin> is 1e30; expected -1000000 to 1000000"), std::string::npos) << far;
  EXPECT_NE(error_of(with_corner("-1e30")).find("<xmin> is -1e30"), std::string::npos);
  for (const char* bad : {"0x4f", "0X4F", "inf", "nan", "-infinity", "1e", ".", "+", "1.2.3", "4f", "1,5"}) {
    auto e = error_of(with_corner(bad));
    EXPECT_NE(e.find("<xmin> is not a decimal number"), std::string::npos) << bad << ": " << e;
  }
  for (const char* good : {"79", " 79 ", "+79", "79.", "79.5", ".5", "7.9e1", "-3"})
    EXPECT_EQ(error_of(with_corner(good)), "") << good;
  EXPECT_FLOAT_EQ(parse_voc(with_corner("7.9e1"), "f.xml").objects.at(0).box.xmin, 79.f);
  EXPECT_EQ(parse_voc(with_size("100", " 4 "), "f.xml").depth, 4);
}

TEST(Voc, OversizedDocumentRefused) {
  std::string big(kMaxAnnotationBytes + 1, ' ');
  EXPECT_NE(error_of(big).find("over the limit"), std::string::npos);
}

TEST(Voc, BoxChecks) {
  VocObject o{"with_mask", {90, 70, 101, 85}, 1};
  auto c = check_object(o, 100, 80);
  EXPECT_EQ(c.status, BoxStatus::clipped);
  EXPECT_FLOAT_EQ(c.box.xmax, 100);
  EXPECT_FLOAT_EQ(c.box.ymax, 80);
  EXPECT_EQ(c.label, 1 - 1);

  o.box = {120, 10, 130, 20};  // entirely off the image
  EXPECT_EQ(check_object(o, 100, 80).status, BoxStatus::empty);
  o.box = {10, 10, 10, 20};  // zero width
  EXPECT_EQ(check_object(o, 100, 80).status, BoxStatus::empty);
  o.box = {10, 10, 20, 20};
  EXPECT_EQ(check_object(o, 100, 80).status, BoxStatus::ok);
  o.name = "hat";
  auto u = check_object(o, 100, 80);
  EXPECT_EQ(u.status, BoxStatus::unknown_class);
  EXPECT_NE(u.reason.find("'hat'"), std::string::npos);
  o.name = "mask_weared_incorrect";
  EXPECT_EQ(check_object(o, 100, 80).label, 2);
}
