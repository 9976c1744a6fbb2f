#include <gtest/gtest.h>

#include "data/voc.h"

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
  EXPECT_NE(e.find("<ymin> is not a number"), std::string::npos) << e;
  EXPECT_NE(error_of(doc("<object><name>with_mask</name></object>")).find("missing <bndbox>"), std::string::npos);
  EXPECT_NE(error_of("<annotation><size><width>0</width><height>5</height></size></annotation>").find("image size"),
            std::string::npos);
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
