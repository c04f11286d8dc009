package awswire

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice"
)

// The test vectors published with the Java SDK's MD5 checker.
func TestMD5OfAttributes(t *testing.T) {
	str := sluice.Attribute{Type: "String", String: "attribValue 1"}
	num := sluice.Attribute{Type: "Number.float", String: "4563442423554324324264524243.32543234"}
	bin := sluice.Attribute{Type: "Binary", Binary: []byte("Hello binary world!")}
	tests := []struct {
		attrs map[string]sluice.Attribute
		want  string
	}{
		{nil, ""},
		{map[string]sluice.Attribute{"attribName1": str}, "19e27d4e946b072f3f58da80d94fd778"},
		{map[string]sluice.Attribute{"customNumberTypeAttrib": num}, "9fe1b90bbd9965bdf77bac517c7d2495"},
		{map[string]sluice.Attribute{"binaryAttribute": bin}, "31a92b15d92f8db860eda32aceb656c3"},
		{map[string]sluice.Attribute{"attribName1": str, "customNumberTypeAttrib": num, "binaryAttribute": bin}, "c932db14a896c663f83c260297d594ff"},
	}
	for _, tt := range tests {
		if got := MD5OfAttributes(tt.attrs); got != tt.want {
			t.Errorf("MD5OfAttributes(%v) = %q, want %q", tt.attrs, got, tt.want)
		}
	}
	if got := MD5OfBody([]byte("hello")); got != "5d41402abc4b2a76b9719d911017c592" {
		t.Errorf("MD5OfBody(hello) = %q", got)
	}
}

func TestParseAuthorization(t *testing.T) {
	c, err := ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20231108/eu-west-1/sqs/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=abc123")
	if err != nil {
		t.Fatal(err)
	}
	want := Credential{AccessKey: "AKID", Date: "20231108", Region: "eu-west-1", Service: "sqs", Terminal: "aws4_request",
		SignedHeaders: []string{"host", "x-amz-date", "x-amz-target"}, Signature: "abc123"}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("ParseAuthorization() mismatch (-want +got):\n%s", d)
	}
	for _, bad := range []string{
		"AWS4-HMAC-SHA256 Credential=AKID/20231108/eu-west-1/sqs, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AKID/20231108/eu-west-1/sqs/aws4_request, Signature=a",
		"AWS4-HMAC-SHA256 Credential=AKID/20231108/eu-west-1/sqs/aws4_request, SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=/20231108/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=a",
		"AWS4-HMAC-SHA256 garbage",
	} {
		if _, err := ParseAuthorization(bad); err == nil {
			t.Errorf("ParseAuthorization(%q) = nil error, want one", bad)
		}
	}
	if _, err := ParseAuthorization("Basic dXNlcjpwdw=="); err != ErrNotSigV4 {
		t.Errorf("ParseAuthorization(Basic) = %v, want ErrNotSigV4", err)
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20231108/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request,SignedHeaders=x,Signature=y,Extra=z")
	f.Add("AWS4-HMAC-SHA256 ,,,=,")
	f.Fuzz(func(t *testing.T, h string) {
		c, err := ParseAuthorization(h)
		if err == nil && (c.AccessKey == "" || c.Service == "" || c.Signature == "" || len(c.SignedHeaders) == 0) {
			t.Errorf("ParseAuthorization(%q) accepted an incomplete credential: %+v", h, c)
		}
	})
}

type attr struct {
	DataType    string `json:"DataType" query:"DataType"`
	StringValue string `json:"StringValue,omitempty" query:"StringValue"`
	BinaryValue []byte `json:"BinaryValue,omitempty" query:"BinaryValue"`
}

type entry struct {
	Id    string          `json:"Id" query:"Id"`
	Delay *int            `json:"DelaySeconds,omitempty" query:"DelaySeconds"`
	Attrs map[string]attr `json:"MessageAttributes,omitempty" query:"MessageAttribute,flat,key=Name,value=Value"`
}

type input struct {
	QueueUrl string            `json:"QueueUrl" query:"QueueUrl"`
	Names    []string          `json:"AttributeNames,omitempty" query:"AttributeName,flat"`
	Entries  []entry           `json:"Entries" query:"Entry,flat"`
	Tags     map[string]string `json:"Tags,omitempty" query:"Tags,key=key,value=value"`
	Members  []string          `json:"Members,omitempty" query:"Members"`
	Max      int               `json:"Max,omitempty" query:"Max"`
	On       bool              `json:"On,omitempty" query:"On"`
}

func TestDecodeQuery(t *testing.T) {
	form, _ := url.ParseQuery("QueueUrl=http%3A%2F%2Fh%2F0%2Fq&AttributeName.2=B&AttributeName.1=A&AttributeName.10=C" +
		"&Entry.1.Id=a&Entry.1.DelaySeconds=5&Entry.1.MessageAttribute.1.Name=k&Entry.1.MessageAttribute.1.Value.DataType=Binary" +
		"&Entry.1.MessageAttribute.1.Value.BinaryValue=aGk%3D&Entry.2.Id=b" +
		"&Tags.entry.1.key=team&Tags.entry.1.value=x&Members.member.1=m1&Max=7&On=true")
	var got input
	if err := DecodeQuery(form, &got); err != nil {
		t.Fatal(err)
	}
	five := 5
	want := input{
		QueueUrl: "http://h/0/q",
		Names:    []string{"A", "B", "C"},
		Entries:  []entry{{Id: "a", Delay: &five, Attrs: map[string]attr{"k": {DataType: "Binary", BinaryValue: []byte("hi")}}}, {Id: "b"}},
		Tags:     map[string]string{"team": "x"},
		Members:  []string{"m1"},
		Max:      7,
		On:       true,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DecodeQuery() mismatch (-want +got):\n%s", d)
	}
	for _, bad := range []string{"Max=x", "On=maybe", "AttributeName.0=A", "AttributeName.x=A", "Entry.1.MessageAttribute.1.Value.BinaryValue=!!", "Tags.entry.1.value=v"} {
		form, _ := url.ParseQuery(bad)
		var in input
		if err := DecodeQuery(form, &in); err == nil {
			t.Errorf("DecodeQuery(%q) = nil error, want one", bad)
		}
	}
}

func TestEncodeXML(t *testing.T) {
	five := 5
	var b strings.Builder
	err := EncodeXML(&b, input{
		QueueUrl: "a<b",
		Names:    []string{"A", "B"},
		Entries:  []entry{{Id: "x", Delay: &five, Attrs: map[string]attr{"k": {DataType: "String", StringValue: "v&"}}}},
		Tags:     map[string]string{"t": "1"},
		Members:  []string{"m"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "<QueueUrl>a&lt;b</QueueUrl><AttributeName>A</AttributeName><AttributeName>B</AttributeName>" +
		"<Entry><Id>x</Id><DelaySeconds>5</DelaySeconds><MessageAttribute><Name>k</Name><Value><DataType>String</DataType><StringValue>v&amp;</StringValue></Value></MessageAttribute></Entry>" +
		"<Tags><entry><key>t</key><value>1</value></entry></Tags><Members><member>m</member></Members>"
	if got := b.String(); got != want {
		t.Errorf("EncodeXML() =\n%s\nwant\n%s", got, want)
	}
}

func FuzzDecodeQuery(f *testing.F) {
	f.Add("Action=SendMessage&QueueUrl=x&MessageBody=hi&Entry.1.Id=a&Entry.1.MessageAttribute.1.Name=n&Entry.1.MessageAttribute.1.Value.DataType=String")
	f.Add("AttributeName.99999999999=A&Entry.1.DelaySeconds=99999999999999999999")
	f.Add("Tags.entry.1.key=a&Tags.entry.1.value=b&Members.member.3=x&Entry.01.Id=z")
	f.Fuzz(func(t *testing.T, q string) {
		form, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		var in input
		if err := DecodeQuery(form, &in); err != nil {
			return
		}
		var b strings.Builder
		if err := EncodeXML(&b, in); err != nil {
			t.Errorf("EncodeXML(%+v) = %v", in, err)
		}
	})
}

func TestQueuePath(t *testing.T) {
	for path, want := range map[string]string{"/000000000000/jobs": "jobs", "/1/q.fifo": "q.fifo", "/": "", "/a": "", "/a/b/c": "", "//q": ""} {
		_, name, ok := QueuePath(path)
		if name != want || ok != (want != "") {
			t.Errorf("QueuePath(%q) = %q, %v; want %q", path, name, ok, want)
		}
	}
}
