// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for @detectSQLi / @detectXSS (rules/msc_inject_*.c): tables of attacks and of
 * benign look-alikes, fingerprints, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <cmocka.h>
#include "msc_inject.h"
#include "sqli_lex.h"

static bool sqli(const char *s, char *fp)
{
	return msc_detect_sqli((const uint8_t *)s, strlen(s), fp);
}

static bool xss(const char *s)
{
	return msc_detect_xss((const uint8_t *)s, strlen(s));
}

/* Injections: each must be detected. Grouped by the construct that decides. */
static const char *const sqli_attacks[] = {
	/* tautologies after a closed string, each quoting style */
	"' or '1'='1",
	"' or ''='",
	"x' OR 'x'='x",
	"1' and '1'='1",
	"\" or \"\"=\"",
	"-1839\" or \"1\"=\"2",
	"EmptyValue' and 526=527",
	"sdfsd'or 1 > 1",
	"' or 1=1--",
	"' OR 1=1#",
	"' or true--",
	"') or ('a'='a",
	"'or(1)=(1)--",
	"' || 1=1 --",
	"' and 1 like 1--",
	"' or 'a' in ('a')--",
	/* numeric context */
	"1234 OR 1=1",
	"1 AND 1=2",
	"-1 or 2>1",
	"1 AnD 7=7",
	"1 and (select count(*) from users)>0",
	"1) and (1)=(1",
	/* whitespace substitutes and comments */
	"1/**/OR/**/1=1",
	"1\vOR\v1=1",
	"1\tor\t1=1",
	"'\xa0or\xa0'1'='1",
	"1'/**/or/**/'1'='1",
	"1 /*!50000OR*/ 1=1",
	"1' /*!UNION*/ /*!SELECT*/ 1,2--",
	/* comments cutting the rest */
	"admin'--",
	"admin' --",
	"admin'#",
	"admin')--",
	"admin'/*",
	"'; --",
	/* UNION SELECT */
	"foo') UNION ALL select NULL --",
	"-1 UNION SELECT 1,2,3",
	"1 union select null,null--",
	"1 UnIoN/**/SeLeCt 1,version()",
	"' UNION SELECT username, password FROM users--",
	"x\" union distinct select 1--",
	"1 union (select 1,2)",
	"CRS) UNION ALL select NULL --",
	"9767 AND 1=1 UNION ALL SELECT 1,NULL,'x',table_name FROM information_schema.tables--",
	"1union select 1,2",
	/* stacked queries */
	"1;DROP TABLE users",
	"1; drop table users--",
	"'; DROP TABLE users; --",
	"x'; exec master..xp_cmdshell 'dir'--",
	"'; shutdown--",
	"1; insert into users values(1)",
	"1; delete from users",
	"'; update users set pass='x'--",
	"');declare @q varchar(99);set @q='x'; exec(@q)--",
	"content.ini);declare @q varchar(99);set @q='\\\\x'",
	"EmptyValue', '4', '2', '7');declare @q varchar(99);--",
	/* time and file functions */
	"' and sleep(12) --",
	"1 and sleep(5)",
	"x' AND BENCHMARK(5000000,MD5(1))--",
	"sleep(5000)",
	"sleEP(3)",
	"BENCHMARK(5000000,MD5(0x48416166)",
	"pg_sleep(5)",
	"unittests@coreruleset.org\" sleep(10.to_i) \"",
	"2010-01-01' sleep(20.to_i) '",
	"SKLJDRTZWS89E450W49NQB0W45BN\"=sleep(12)=\"",
	"foo')waitfor delay'5:0:20'--",
	"'; waitfor delay '0:0:5'--",
	"/config.txt' (select load_file('\\\\\\\\x.org\\\\zow')) '",
	"1' and extractvalue(1,concat(0x7e,version()))--",
	/* subqueries and exfiltration primitives */
	"\"x\"')) and (select*from(select(sleep(5)))x) --",
	"test')and (select*from(select(sleep(10)))d)--",
	"abcd'||(select extractvalue(xmltype('<x/>'),'/l') from dual)||'",
	"' + char(65) + '",
	"concat(0x223e3c62723e,version(),0x3c696d67207372633d22)",
	"SELECT 6229 FROM(SELECT COUNT(*),CONCAT(0x717a786a71,(SELECT (CASE",
	"SELECT CHAR(113)+CHAR(122)+CHAR(120)+(SELECT (CASE",
	"SELECT (CHR(113)||CHR(122))||(SELECT (CASE",
	"SELECT UPPER(XMLType(CHR(60)||CHR(58)||(SELECT (CASE",
	"select * from users",
	"select 1 FROM(select count(*),concat((select (select concat(user(",
	"1 GROUP BY CONCAT(0x7162766a71,(SELECT (CASE WHEN (5554=5554) THEN 1 ELSE 0 END)),0x71)",
	"1' order by 3--",
	"1 ORDER BY 10--",
	"AND (name = \"",
	"@@version or 1=1",
	/* keywords cut by comments, for filters that strip them */
	"1 UN/**/ION SEL/**/ECT 1,2--",
	"-1' UNI/*x*/ON ALL SEL/**/ECT NULL--",
	/* more shapes */
	"'='",
	"'=0--",
	"' having 1=1--",
	"' where 1=1 --",
	"1' AND 1=CONVERT(int,@@version)--",
	"' or 1 in (select @@version)--",
	"%' and 1=1 and '%'='",
	"' or 0x50=0x50--",
	"1 and ascii(substring((select database()),1,1))>64",
	"-1' union select 1,group_concat(table_name) from information_schema.tables--",
	"1 procedure analyse(extractvalue(rand(),concat(0x3a,version())),1)",
	"or 1=1",
	/* sqlmap-style shapes */
	"1 AND 5850=5850",
	"1' AND 5850=5850 AND 'xYzA'='xYzA",
	"1') AND 5850=5850 AND ('xYzA'='xYzA",
	"1 OR NOT 5850=5851",
	"1' RLIKE (SELECT (CASE WHEN (5850=5850) THEN 1 ELSE 0x28 END))-- -",
	"1 AND ELT(5850=5850,SLEEP(5))",
	"1 AND EXTRACTVALUE(1234,CONCAT(0x5c,0x71,(SELECT (ELT(1234=1234,1))),0x71))",
	"1;SELECT PG_SLEEP(5)--",
	"1 WAITFOR DELAY '0:0:5'--",
	"(SELECT (CASE WHEN (1=1) THEN 1 ELSE (SELECT 1 UNION SELECT 2) END))",
	"1 AND (SELECT * FROM (SELECT(SLEEP(5)))bAKL)",
	"' || (select user from dual) || '",
	"'; if (1=1) waitfor delay '0:0:5'--",
	"\"; select * from users; --",
	"' or username like '%",
	"' or 2 between 1 and 3 --",
	"' or !0--",
	"1) or pg_sleep(5)--",
	"1 and user_name() = 'dbo'",
	"'; EXEC sp_configure 'show advanced options', 1--",
	"1' ORDER BY 1,2,3--+",
	"x' AND email IS NULL; --",
	"' or id=1--",
	"x' AND userid=5 --",
	"1 ) or ( 1 = 1",
	"1'||'1",
	"' or 1 in (@@version)--",
	"1' GROUP BY columnnames having 1=1 --",
	"' or 1=1 collate utf8_bin--",
	"\\' or 1=1 --",
	"1)and(1)=(1",
	"'||1#",
	"1' AND 1=dbms_pipe.receive_message(('a'),5)--",
	"x'; INSERT INTO members ('email','passwd') VALUES ('steve@x.com','hello');--",
	"' or uname is not null --",
	"x'||chr(60)||'",
	"from(select count(*),concat((select (select (select concat(0x53,0x65,0x61)))))",
	"from(select(sleep(20)))a)-- ",
	"from information_schema.tables where 1=2 limit",
	"in ( select * from",
	"SELECT dDJq WHERE 9896=9896;SELECT (CASE",
	"categoryid[]=-99) union select salt from user where userid=1",
	NULL,
};

/* Benign values, several close to SQL: each must pass. */
static const char *const sqli_benign[] = {
	"O'Brien",
	"O'Reilly and sons",
	"Rock 'n' roll",
	"It's 5 o'clock",
	"don't stop",
	"select a plan",
	"Select your size",
	"please select one option from the list",
	"union jack",
	"1 or 2 items",
	"1 or 2",
	"order by date",
	"sort=price&order=asc",
	"john.smith@example.com",
	"jane.o'neil@example.com",
	"{\"name\":\"Anna\",\"qty\":2}",
	"{\"query\":\"select\",\"or\":1}",
	"https://example.com/search?q=drop+shipping&page=2",
	"/api/v1/orders/1234",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/119.0.0.0 Safari/537.36",
	"He said \"hello\" and left",
	"5' 10\" tall",
	"12\" #2 pencil",
	"drop table tennis lessons",
	"Tom & Jerry",
	"Q&A: what's new?",
	"10px solid #ccc",
	"2nd floor, room 5",
	"price >= 10",
	"status=active or status=pending",
	"-- no comment --",
	"# heading",
	"**bold** _italic_ [link](https://example.com)",
	"I'd like 2 or 3 more",
	"The 'best' deal; insert coin",
	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
	"GA1.2.833226720.1680763163",
	"count(3)",
	"date(2024)",
	"sleep",
	"1,2,3",
	"3.14",
	"-1",
	"'quoted'",
	"\"quoted\"",
	"''",
	"en-US,en;q=0.9",
	"user@example.com' ",
	"It's 'free' or cheap",
	"The \"best\" or \"worst\"",
	"[\"a\",\"b\"]",
	"how to use select * from table",
	"user's -- note",
	"Joe's #1 fan",
	"5'=5 feet",
	"sel/**/ect",
	"I'm 6' tall",
	"5'-10\"",
	"D'Angelo-Smith",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"https://example.com/search?q=1+or+2",
	/* prose from changelogs that fooled earlier versions */
	"Add \"--with-lint\" configure flag",
	"putenv() string must contain '='",
	"The script `examples/misc/cshtobash' is a",
	"benchmark (1.6.1-1) unstable; urgency=medium",
	"and status != 1 at line 1070",
	"\"ALTER TABLE RENAME\" command",
	"2. ALTER TABLE uses double-quotes",
	"used inside ' and \"",
	"fixed \"||\" should be \"&&\".",
	"The fix is in the addition of \"&& followfork < 2\" condition.",
	"genfile and tar in exec mode",
	"t4216: use an '&&'-chain",
	"starts with the line \"#",
	"Cope with a menu with many items\" -- sorry it took so long.",
	"and EXP(a) < EXP(b)",
	"Declare `marker';",
	"If `yes' is passed and uchardet is not found",
	"from the select menu pick one",
	"where the union select committee meets",
	"in (select ones) only",
	"as (select a plan)",
	"where 'l' is dh->length if this is defined",
	NULL,
};

static void test_sqli_attacks_detected(void **state)
{
	int missed = 0;

	(void)state;
	for (size_t i = 0; sqli_attacks[i]; i++) {
		char fp[MSC_SQLI_FP_LEN];

		if (!sqli(sqli_attacks[i], fp)) {
			printf("missed: %s\n", sqli_attacks[i]);
			missed++;
		} else {
			assert_true(strlen(fp) > 1);
		}
	}
	assert_int_equal(missed, 0);
}

static void test_sqli_benign_passes(void **state)
{
	int fps = 0;

	(void)state;
	for (size_t i = 0; sqli_benign[i]; i++) {
		char fp[MSC_SQLI_FP_LEN];

		if (sqli(sqli_benign[i], fp)) {
			printf("false positive: %s [%s]\n", sqli_benign[i], fp);
			fps++;
		} else {
			assert_string_equal(fp, "");
		}
	}
	assert_int_equal(fps, 0);
}

static void test_sqli_fingerprint_names_context(void **state)
{
	char fp[MSC_SQLI_FP_LEN];

	(void)state;
	assert_true(sqli("1234 OR 1=1", fp));
	assert_string_equal(fp, "01&1o1");
	assert_true(sqli("x' or '1'='1", fp));
	assert_string_equal(fp, "'s&sos");
	assert_true(sqli("x\" or \"1\"=\"1", fp));
	assert_string_equal(fp, "\"s&sos");
	assert_true(sqli("admin'--", fp));
	assert_string_equal(fp, "'sc");
	/* long sequences are cut, always NUL-terminated */
	assert_true(sqli("1 union select 1,2,3,4,5,6,7,8,9,10,11,12,13", fp));
	assert_true(strlen(fp) < MSC_SQLI_FP_LEN);
	assert_true(sqli("sleep(1)", NULL));
}

static void test_sqli_keyword_table_sorted(void **state)
{
	(void)state;
	assert_true(sqli_lex_table_sorted());
}

static void test_sqli_bounds(void **state)
{
	char fp[MSC_SQLI_FP_LEN];
	size_t n = MSC_INJECT_MAX_INSPECT * 2;
	uint8_t *buf = malloc(n);

	(void)state;
	assert_non_null(buf);
	/* empty and NULL */
	assert_false(msc_detect_sqli(NULL, 0, fp));
	assert_false(msc_detect_sqli((const uint8_t *)"", 0, fp));
	/* NUL bytes are data, not an end */
	assert_true(msc_detect_sqli((const uint8_t *)"\0' or 1=1--", 11, fp));
	/* the length is honoured: the attack lies past n */
	assert_false(msc_detect_sqli((const uint8_t *)"abc' or 1=1--", 3, fp));
	/* only the first MSC_INJECT_MAX_INSPECT bytes are judged */
	memset(buf, 'a', n);
	memcpy(buf + MSC_INJECT_MAX_INSPECT + 10, "' or 1=1--", 10);
	assert_false(msc_detect_sqli(buf, n, fp));
	memcpy(buf + 10, "' or 1=1--", 10);
	assert_true(msc_detect_sqli(buf, n, fp));
	/* many tokens: the token cap holds */
	for (size_t i = 0; i < n; i++)
		buf[i] = i % 2 ? ' ' : '(';
	assert_false(msc_detect_sqli(buf, n, fp));
	free(buf);
}

static const char *const xss_attacks[] = {
	"<script>alert(1)</script>",
	"<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
	"<script >alert(1);</script>",
	"<x:script xmlns:x=\"http://www.w3.org/1999/xhtml\" src=\"data:,alert(1)\" />",
	"<img src=x onerror=alert(1)>",
	"<IMG SRC=x OnErRoR=alert(1)>",
	"<svg/onload=alert(1)>",
	"<svg onload=alert(1)",
	"<body onload=alert(1)>",
	"<iframe src=\"https://evil.example\"></iframe>",
	"<object data=\"x.swf\">",
	"<embed src=\"javascript:alert(1)\"></a>",
	"<a href=\"javascript:alert(1)\">x</a>",
	"<a href=\"java\tscript:alert(1)\">x</a>",
	"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
	"<a href=\"&#106;avascript:alert(1)\">x</a>",
	"<a href=\"javascript&colon;alert(1)\">x</a>",
	"<a href=\" javascript:alert(1)\">x</a>",
	"<a href=vbscript:msgbox(1)>",
	"<a href=\"data:text/html;base64,PHNjcmlwdD4=\">",
	"<form action=javascript:alert(1)><input type=submit>",
	"<button formaction=javascript:alert(1)>",
	"<p style=\"background:url(javascript:alert(1))\">",
	"<div style=\"width: expression(alert(1))\">",
	"<STYLE>@import'http://evil/x.css';</STYLE>",
	"<link rel=stylesheet href=//evil/x.css>",
	"<meta http-equiv=\"refresh\" content=\"0; http://evil?\">",
	"<base href=\"//evil/\">",
	"<applet onreadystatechange=alert(1)></applet>",
	"<details open ontoggle=alert(1)>",
	"<a href=# onclick=\"alert(1)\">x</a>",
	"<x onmycustomevent=alert(1)>",
	"<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">",
	"<?import implementation =",
	"<meta charset=\"UTF-7\">",
	"<OBJECT data =",
	"<STYLE>BODY{-moz-binding:url(\"http://x/x.xml#xss\")}</STYLE>",
	"<acp xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"http://x/\"/></acp>",
	"<!DOCTYPE r [<!ENTITY % x SYSTEM \"http://evil/x.dtd\">%x;]>",
	/* from inside an attribute value or a tag */
	"\" onmouseover=\"alert(1)",
	"' onfocus='alert(1)' autofocus='",
	"x onerror=alert(1)",
	"\"><script>alert(1)</script>",
	"'><img src=x onerror=alert(1)>",
	"javascript:alert(1)\" onclick=\"alert(1)",
	"href=javascript:alert(1)",
	/* filter-evasion shapes */
	"<IMG SRC=JaVaScRiPt:alert('XSS')>",
	"<IMG SRC=`javascript:alert('XSS')`>",
	"<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)>",
	"<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105"
	"&#0000112&#0000116&#0000058alert(1)>",
	"<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
	"<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
	"<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
	"<XSS STYLE=\"behavior: url(xss.htc);\">",
	"<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
	"<<SCRIPT>alert(\"XSS\");//<</SCRIPT>",
	"<BODY BACKGROUND=\"javascript:alert('XSS')\">",
	"<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
	"<math><maction xlink:href=\"javascript:alert(2)\">CLICKME</maction></math>",
	"<svg><set attributeName=href to=javascript:alert(1)>",
	"<details/open/ontoggle=alert(1)>",
	"<iframe/src=\"data:text/html,<svg onload=alert(1)>\">",
	"<x contenteditable onblur=alert(1)>lose focus!",
	"<XML ID=\"xss\"><I><B><IMG SRC=\"javas<!-- -->cript:alert('XSS')\"></B></I></XML>",
	"<img src=1 oNeRrOr=alert`1`>",
	"<!--><script>alert(1)</script>",
	"<svg><set attributeName=\"onmouseover\" to=\"alert(1)\"/>",
	"<!---><img src=x onerror=alert(1)>",
	"<!-- x --!><script>alert(1)</script>",
	"<!-- a --><script>alert(1)</script>",
	NULL,
};

static const char *const xss_benign[] = {
	"hello world",
	"a < b and c > d",
	"1<2",
	"<b>bold</b> and <i>italic</i>",
	"<p>Paragraph</p>",
	"<a href=\"https://example.com/page\">link</a>",
	"<img src=\"/img/logo.png\" alt=\"logo\">",
	"<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
	"<p style=\"color: red\">red</p>",
	"I <3 cats",
	"<<<>>>",
	"<!-- a comment <script> -->",
	"<!-- a comment <script>",
	"online shopping",
	"one=two",
	"onclick",
	"event=onclick",
	"onload",
	"onion rings",
	"javascript: the good parts",
	"Learn javascript:closures and more",
	"email@example.com",
	"{\"onclick\":\"track\"}",
	"the script was great",
	"style=color:red",
	"x=1&y=2",
	"Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
	"https://www.example.com/?utm_source=news&utm_medium=email",
	"<noscript#",
	"<f o r m",
	"div role=\"",
	"</script",
	"<a href=\"test\"",
	"onboarding=done",
	"<img/src=1/onerror=alert(1)>",
	"<a href=\"http://66.102.7.147/\">XSS</a>",
	"<scripts>",
	"attribute of the <object>. Use gtk_buildable_get_name()",
	"url.<base>.insteadOf",
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>",
	"<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">",
	"HTML <style> and boolean attributes",
	"<FRAMESET> pages",
	"<svg><animate attributeName=\"x\" from=\"0\" to=\"10\"/>",
	NULL,
};

static void test_xss_attacks_detected(void **state)
{
	int missed = 0;

	(void)state;
	for (size_t i = 0; xss_attacks[i]; i++) {
		if (!xss(xss_attacks[i])) {
			printf("missed: %s\n", xss_attacks[i]);
			missed++;
		}
	}
	assert_int_equal(missed, 0);
}

static void test_xss_benign_passes(void **state)
{
	int fps = 0;

	(void)state;
	for (size_t i = 0; xss_benign[i]; i++) {
		if (xss(xss_benign[i])) {
			printf("false positive: %s\n", xss_benign[i]);
			fps++;
		}
	}
	assert_int_equal(fps, 0);
}

/* Every name the detector knows, each looked up through its bisected table. */
static void test_xss_every_listed_name(void **state)
{
	static const char *const events[] = {
		"onactivate",	  "onafterprint",     "onanimationend",	  "onanimationstart",
		"onauxclick",	  "onbeforeactivate", "onbeforeprint",	  "onbeforeunload",
		"onbegin",	  "onblur",	      "oncanplay",	  "onchange",
		"onclick",	  "oncontextmenu",    "oncopy",		  "oncut",
		"ondblclick",	  "ondrag",	      "ondragstart",	  "ondrop",
		"onend",	  "onended",	      "onerror",	  "onerrorupdate",
		"onfilterchange", "onfinish",	      "onfocus",	  "onfocusin",
		"onfocusout",	  "onhashchange",     "oninput",	  "oninvalid",
		"onkeydown",	  "onkeypress",	      "onkeyup",	  "onload",
		"onloadstart",	  "onmessage",	      "onmousedown",	  "onmouseenter",
		"onmouseleave",	  "onmousemove",      "onmouseout",	  "onmouseover",
		"onmouseup",	  "onpagehide",	      "onpageshow",	  "onpaste",
		"onplay",	  "onpointerdown",    "onpointerenter",	  "onpointerover",
		"onpopstate",	  "onprogress",	      "onpropertychange", "onreadystatechange",
		"onrepeat",	  "onreset",	      "onresize",	  "onscroll",
		"onsearch",	  "onselect",	      "onshow",		  "onstart",
		"onstorage",	  "onsubmit",	      "ontimeupdate",	  "ontoggle",
		"ontouchstart",	  "ontransitionend",  "onunload",	  "onwheel",
	};
	static const char *const url_attrs[] = {
		"action", "archive",	"background", "by",	  "cite",   "classid",
		"code",	  "codebase",	"data",	      "dynsrc",	  "folder", "formaction",
		"from",	  "href",	"icon",	      "longdesc", "lowsrc", "manifest",
		"ping",	  "poster",	"profile",    "src",	  "to",	    "usemap",
		"values", "xlink:href", "xml:base",
	};
	static const char *const loading_tags[] = {
		"applet",  "base", "embed", "frame",  "frameset", "iframe", "import",
		"isindex", "link", "meta",  "object", "vmlframe", "xml",
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(buf, sizeof(buf), "<x %s=1>", events[i]);
		assert_true(xss(buf));
		/* upper case too */
		for (char *c = buf; *c; c++)
			*c = (char)toupper(*c);
		assert_true(xss(buf));
	}
	for (size_t i = 0; i < sizeof(url_attrs) / sizeof(url_attrs[0]); i++) {
		snprintf(buf, sizeof(buf), "<x %s=\"javascript:alert(1)\">", url_attrs[i]);
		assert_true(xss(buf));
		snprintf(buf, sizeof(buf), "<x %s=\"/images/a.png\">", url_attrs[i]);
		assert_false(xss(buf));
	}
	for (size_t i = 0; i < sizeof(loading_tags) / sizeof(loading_tags[0]); i++) {
		snprintf(buf, sizeof(buf), "<%s a=b>", loading_tags[i]);
		assert_true(xss(buf));
		snprintf(buf, sizeof(buf), "the <%s> tag", loading_tags[i]);
		assert_false(xss(buf));
	}
}

static void test_xss_bounds(void **state)
{
	size_t n = MSC_INJECT_MAX_INSPECT * 2;
	uint8_t *buf = malloc(n);

	(void)state;
	assert_non_null(buf);
	assert_false(msc_detect_xss(NULL, 0));
	assert_false(msc_detect_xss((const uint8_t *)"", 0));
	assert_true(msc_detect_xss((const uint8_t *)"\0<script>", 9));
	/* the length is honoured */
	assert_false(msc_detect_xss((const uint8_t *)"<scr<script>", 4));
	assert_false(msc_detect_xss((const uint8_t *)"<b onerror=x>", 3));
	/* only the first MSC_INJECT_MAX_INSPECT bytes are judged */
	memset(buf, 'a', n);
	memcpy(buf + MSC_INJECT_MAX_INSPECT + 10, "<script>", 8);
	assert_false(msc_detect_xss(buf, n));
	memcpy(buf + 10, "<script>", 8);
	assert_true(msc_detect_xss(buf, n));
	/* an unclosed comment, quote or tag at the end never reads past n */
	assert_false(msc_detect_xss((const uint8_t *)"<!--", 4));
	assert_false(msc_detect_xss((const uint8_t *)"<a href=\"", 9));
	assert_false(msc_detect_xss((const uint8_t *)"<a b", 4));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqli_attacks_detected),
		cmocka_unit_test(test_sqli_benign_passes),
		cmocka_unit_test(test_sqli_fingerprint_names_context),
		cmocka_unit_test(test_sqli_keyword_table_sorted),
		cmocka_unit_test(test_sqli_bounds),
		cmocka_unit_test(test_xss_attacks_detected),
		cmocka_unit_test(test_xss_benign_passes),
		cmocka_unit_test(test_xss_every_listed_name),
		cmocka_unit_test(test_xss_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
